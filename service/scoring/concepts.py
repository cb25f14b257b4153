"""Concept evidence: which sentences support, or deny, each concept of the rubric.

A concept is earned by a sentence that asserts it. Each rule is tried on each sentence;
a match inside a negation's scope is evidence against the concept, not for it. The best
level a concept reaches (``explained`` over ``named``) decides its status.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal

from ..rubric.schema import Concept, RubricSettings
from .analysis import (
    COPIED_ANSWER_SHARE,
    FUNCTION_WORDS,
    Analysis,
    SentenceView,
    announced_list,
    content_length,
    is_keyword_list,
)
from .engine import ANAPHORA, ENUMERATION, VIEW, CompiledRubric, CompiledRule

__all__ = ["ConceptEvidence", "Level", "holds_against", "match_concepts", "match_rule", "sentence_levels"]

Level = Literal["named", "explained"]
# Conjunctions after which a sentence turns from a view it reports to what the writer holds.
_CONTRAST = frozenset({"其实", "但", "但是", "可是", "然而", "实际上", "事实上", "而是", "却", "反而", "可", "不过"})
# Words that open a sentence turning away from what the answer said before ("不过话说回来,……").
# (而是, 却 and 反而 turn inside a sentence, never open one.)
_TURNS = (_CONTRAST - {"而是", "却", "反而"}) | {"话说回来", "反过来", "反之", "倒过来"}
_RANK = {"named": 1, "explained": 2}
_CLAUSE_MARKS = frozenset("，；、：")
# What ends a finished sentence: its marks, closing quotes and brackets, an ellipsis or a tilde.
_ENDED = frozenset("。！？；…～~.!?”’」』）)")
# The marks that end a clause saying something of its own (the enumeration comma 、 only lists).
_CLAUSE_ENDS = frozenset("，；：")
# Own words (not the subject's terms) a clause needs per concept it touches to state it.
_OWN_CHARS_PER_CONCEPT = 3


@dataclass
class ConceptEvidence:
    """What the answer shows of one concept."""

    concept: Concept
    level: Level | None = None
    support: list[int] = field(default_factory=list)  # sentence indices at the best level
    against: list[int] = field(default_factory=list)
    denied: bool = False  # a `contradicts` rule matched: the opposite is stated outright
    negated_in: list[int] = field(default_factory=list)  # sentences where a rule matched under negation
    capped: bool = False  # explained, but only the way a view the guide calls wrong sees it

    @property
    def contradicted(self) -> bool:
        return bool(self.against) and self.level != "explained"


def _all_negated(view: SentenceView, spans: list[tuple[int, int]], own: frozenset[int]) -> bool:
    return all(view.scope.covers(a, b, ignore_post=own) for a, b in spans)


def match_rule(rule: CompiledRule, view: SentenceView) -> Literal["none", "match", "negated"]:
    """Try one rule on one sentence."""
    if not rule.may_match(view.keys.keys()):
        return "none"
    return _match_checked(rule, view)


def _match_checked(rule: CompiledRule, view: SentenceView) -> Literal["none", "match", "negated"]:
    """:func:`match_rule` for a rule whose cheap check (``may_match``) already passed."""
    if view.concrete < rule.concrete:
        return "none"
    keys = view.keys
    present_any = [k for k in rule.any if k in keys]
    if not _own_words(keys, rule.all, present_any):
        return "none"
    if not rule.negatable:
        return "match"
    scope = view.scope
    if not scope:
        return "match"
    own: frozenset[int] = frozenset()
    if scope.post:
        # A post-negator that is itself one of the rule's elements (错误 in "……是错误的") is
        # what the rule looks for, not a denial of it.
        spans = [span for k in (*rule.all, *present_any) for span in keys[k]]
        own = frozenset(p for _, p, e in scope.post if any(a <= p and e <= b for a, b in spans))
    if any(_all_negated(view, keys[k], own) for k in rule.all):
        return "negated"
    if present_any and all(_all_negated(view, keys[k], own) for k in present_any):
        return "negated"
    return "match"


def _own_words(keys: dict[str, list[tuple[int, int]]], required: tuple[str, ...], present_any: list[str]) -> bool:
    """Whether each element has words of its own, not only words inside another element's longer phrase.

    客户 inside 互为客户 does not make a second element: naming 互为客户 is not explaining it.
    """
    if len(required) + bool(present_any) < 2:
        return True
    # Plain loops over one flat list: this runs for every rule tried on every sentence, and generator
    # expressions nested in its loops cost more than the comparisons.
    spans = [(a, b, k) for k in (*required, *present_any) for a, b in keys[k]]

    def free(key: str) -> bool:
        for s, e in keys[key]:
            for a, b, other in spans:
                if a <= s and e <= b and b - a > e - s and other != key:
                    break  # this occurrence lies inside another element's longer phrase
            else:
                return True
        return False

    return all(map(free, required)) and (not present_any or any(map(free, present_any)))


def _sentence_levels(
    compiled: CompiledRubric, view: SentenceView
) -> tuple[dict[str, Level], set[str], tuple[frozenset[str], int, int] | None]:
    """Best level per concept in one sentence, the concepts a rule found negated, and, when a
    ``refutes`` rule matched, its concepts, where the view it rejects starts and where the words that
    reject it end."""
    levels: dict[str, Level] = {}
    negated: set[str] = set()
    refuting: set[str] = set()
    view_starts = view.sentence.end
    verdict_ends = view.sentence.start
    keys = view.keys
    present = keys.keys()
    for rule in compiled.candidate_rules(present):
        if not rule.may_match(present):
            continue
        outcome = _match_checked(rule, view)
        best = levels.get(rule.concept_id)
        if outcome == "match" and rule.refutes:
            refuting.add(rule.concept_id)
            elements = [k for k in (*rule.all, *rule.any) if k in keys]
            view_starts = min(view_starts, *(start for k in elements for start, _ in keys[k]))
            verdict_ends = max(verdict_ends, *(end for k in elements for _, end in keys[k]))
        if outcome == "match" and (best is None or _RANK[rule.level] > _RANK[best]):
            levels[rule.concept_id] = rule.level
        elif outcome == "negated":
            negated.add(rule.concept_id)
    if refuting and negated and view.scope.reports:
        # Rejecting what others say of a point the one-way view excludes ("有人说内部客户是互相的,我不同意")
        # holds that view: it is no critique of it.
        voided = {r for r in refuting if not compiled.excludes.get(r, frozenset()).isdisjoint(negated)}
        if voided:
            refuting -= voided
            for cid in voided:
                levels.pop(cid, None)
    if len(levels) > 1:
        order = compiled.concept_order
        levels = dict(sorted(levels.items(), key=lambda kv: order[kv[0]]))
    return levels, negated, (frozenset(refuting), view_starts, verdict_ends) if refuting else None


def sentence_levels(compiled: CompiledRubric, view: SentenceView) -> dict[str, Level]:
    """The level each concept reaches in one sentence by its rules alone (no guard of the answer applied)."""
    return _sentence_levels(compiled, view)[0]


def _own_statement(
    compiled: CompiledRubric,
    view: SentenceView,
    levels: dict[str, Level],
    refuted: tuple[frozenset[str], int, int] | None,
) -> dict[str, Level]:
    """``levels`` without what the sentence only reports in order to reject it.

    A ``refutes`` rule recognises a view stated to be rejected ("很多人把……当成……,这是片面的").
    From where that view starts, the sentence reports it rather than explains it: the other
    concepts count only as far as the words before it earn them.
    """
    if refuted is None:
        return levels
    refuting, view_starts, verdict_ends = refuted
    if len(levels) <= len(refuting):
        return levels
    # A contrast after the view ("……,其实……") returns to the candidate's own words. So does the end of the
    # clause that rejects a view stated in the clauses before it ("有人说上级是下级的客户,这话只说了半截:
    # 领导是要结果,可……"); a view whose rejecting words open the sentence ("以前觉得行政就是伺候人的,
    # 各部门……") runs on to its end.
    breaks = [t.start for t in view.tokens if t.text in _CLAUSE_ENDS]
    after = any(b < verdict_ends for b in breaks)
    resumes = next(
        (
            t.end
            for t in view.tokens
            if t.start > view_starts
            and (t.text in _CONTRAST or (after and t.text in _CLAUSE_ENDS and t.start >= verdict_ends))
        ),
        view.sentence.end,
    )
    own, _, _ = _sentence_levels(compiled, _without_spans(view, [(view_starts, resumes)]))
    return {
        cid: level if cid in refuting else own[cid] for cid, level in levels.items() if cid in refuting or cid in own
    }


def _without_spans(view: SentenceView, spans: list[tuple[int, int]]) -> SentenceView:
    """``view`` without the words reaching into any of ``spans`` (its negation scope unchanged)."""
    keys = {
        k: kept
        for k, found in view.keys.items()
        if (kept := [(a, b) for a, b in found if all(b <= s or a >= e for s, e in spans)])
    }
    return _with_keys(view, keys)


def _own_levels(levels: dict[str, Level], own: dict[str, Level], copied: bool) -> dict[str, Level]:
    """``levels`` limited by what the sentence's own words earn (``own``): a concept they do not earn
    as well is named at most, or dropped when the answer counts as copied."""
    out: dict[str, Level] = {}
    for cid, level in levels.items():
        mine = own.get(cid)
        if mine == level or (copied and mine is not None):
            out[cid] = mine
        elif not copied:
            out[cid] = "named"
    return out


def _with_keys(view: SentenceView, keys: dict[str, list[tuple[int, int]]]) -> SentenceView:
    """``view`` with other keys and the sentence's own negation scope."""
    changed = dataclasses.replace(view, keys=keys)
    changed.__dict__["scope"] = view.scope
    return changed


def _misreads(compiled: CompiledRubric, view: SentenceView) -> bool:
    """Whether the sentence touches a wrong reading of the question (CRM software, culture layers…)."""
    return any(key in view.keys for key in compiled.misreading_keys)


class _SentenceLevels:
    """The rules' verdict on each sentence of one answer, computed once: on the sentence as written,
    and on its own words (without the clauses that rearrange the prompt)."""

    def __init__(self, compiled: CompiledRubric, views: list[SentenceView]) -> None:
        self.compiled = compiled
        self.views = views
        self._whole: dict[int, tuple[dict[str, Level], set[str], tuple[frozenset[str], int, int] | None]] = {}
        self._own_views: dict[int, SentenceView] = {}
        self._own: dict[int, dict[str, Level]] = {}

    def whole(self, i: int) -> tuple[dict[str, Level], set[str], tuple[frozenset[str], int, int] | None]:
        if i not in self._whole:
            self._whole[i] = _sentence_levels(self.compiled, self.views[i])
        return self._whole[i]

    def own_view(self, i: int) -> SentenceView:
        view = self.views[i]
        if not view.borrowed:
            return view
        if i not in self._own_views:
            self._own_views[i] = _without_spans(view, view.borrowed)
        return self._own_views[i]

    def own(self, i: int) -> dict[str, Level]:
        if i not in self._own:
            self._own[i] = _sentence_levels(self.compiled, self.own_view(i))[0]
        return self._own[i]


def match_concepts(compiled: CompiledRubric, analysis: Analysis) -> dict[str, ConceptEvidence]:
    """Gather, for every concept, the sentences that support it and those that deny it."""
    settings = compiled.rubric.settings
    evidence = {c.id: ConceptEvidence(c) for c in compiled.rubric.concepts}
    previous: SentenceView | None = None
    # The subject's own terms: a sentence crammed with them names concepts, it explains none.
    textbook = compiled.textbook_literals
    verdicts = _SentenceLevels(compiled, analysis.sentences)
    enumerated = _enumerations(compiled, analysis, verdicts)
    rejected = _rejected_views(compiled, analysis, verdicts)
    _copied_back(analysis, verdicts)
    cut_off = _cut_off_sentence(analysis)
    for view in analysis.sentences:
        lead, previous = previous, view
        if not view.eligible:
            continue
        index = view.sentence.index
        whole, negated, refuted = verdicts.whole(index)
        levels = dict(whole)
        if view.borrowed:
            # The prompt's statements rearranged inside the sentence are no explanation of one's own:
            # what only they earn is named at most, and nothing when the answer is mostly the prompt.
            levels = _own_levels(levels, verdicts.own(index), view.answer_copied)
        names_kinds = view.sentence.index in enumerated
        touched = len(levels)  # what the sentence itself touches decides whether it is crammed
        if lead is not None and _leads_in(lead, view, settings, analysis.keyword_list):
            # "部门之间也一样。" then what it means: the short opener lends its words to the explanation;
            # "这时……" / "他们……" refers back: the previous sentence names whom it is about.
            merged = _with_lead(verdicts.own_view(index), verdicts.own_view(lead.sentence.index))
            carried, _, carried_refuted = _sentence_levels(compiled, merged)
            carried = _own_statement(compiled, merged, carried, carried_refuted)
            # The opener lends its words, not a way round a denial: what either clause denies
            # ("职能客户也谈不上;工序客户更没必要,……") is not explained by reading the two together.
            denied_here = negated | verdicts.whole(lead.sentence.index)[1]
            for cid, level in carried.items():
                if level == "explained" and cid not in denied_here:
                    levels[cid] = level
        if view.list_like:
            if analysis.keyword_list and not names_kinds:
                continue
            levels = dict.fromkeys(levels, "named")
        if view.copied:
            # Quoting the prompt inside an answer of one's own shows at most that a point is named.
            levels = dict.fromkeys(levels, "named")
        many = touched > settings.max_concepts_per_sentence
        if many and _strung(view, textbook, settings, touched):
            # Terms strung together in one run, with no clause of their own: written to fool a keyword
            # grader, it shows nothing.
            levels = {}
        elif many and _crowded(view, textbook, settings, touched):
            # A sentence crammed with the terms of every concept explains none of them, and names no
            # more than one sentence may earn; a dense summary earns what each of its clauses states.
            plain = not (view.list_like or view.copied or view.borrowed)
            by_clause = _clause_levels(compiled, view, textbook) if plain else None
            levels = (
                by_clause
                if by_clause is not None
                else dict.fromkeys(list(levels)[: settings.max_concepts_per_sentence], "named")
            )
        else:
            levels = _own_statement(compiled, view, levels, refuted)
        if index == cut_off:
            levels = _cut_off(compiled, view, levels)
        if index in rejected:
            # The next sentence rejects what this one said ("……。这种理解太片面了。"): a view reported
            # to be rejected explains nothing of the candidate's own, only the critique counts.
            levels = {cid: lvl for cid, lvl in levels.items() if cid in compiled.refuting_concepts}
        if _misreads(compiled, view):
            # A sentence that touches a wrong reading of the question (CRM software, culture layers…)
            # is at best partly about it: it may name a concept, it explains none. Its other clauses
            # ("客服接到报修,派给工程部,……,我们再回访业主") still explain what they explain on their own.
            # (Stories, such as an outing, are judged on the whole answer: see the off-topic flag.)
            levels = _beside_misreading(compiled, view, levels)
        if (
            view.topicality < settings.on_topic_similarity
            and not names_kinds
            and any(h.literal in textbook for h in view.hits)
        ):
            # The subject's terms dropped into a sentence about something else earn nothing by name
            # alone. Everyday words are no such terms: a sentence in plain or spoken words shares few
            # n-grams with the references ("说到底大家都是互相的"), and still names what it says.
            levels = {cid: lvl for cid, lvl in levels.items() if lvl == "explained"}
        present = view.keys.keys()
        opposed: dict[str, bool] = {}  # concept -> whether a matching `contradicts` rule overrides
        if not view.reported:
            for concept_id, rules in compiled.contradicting:
                found = [r for r in rules if r.may_match(present) and _match_checked(r, view) == "match"]
                if found:
                    opposed[concept_id] = any(r.overrides for r in found)
        # A sentence that states a point and, by an `overrides` rule, its opposite in one breath ("为同事
        # 服务是我的义务,但我没有权利要求别人") names it at most, and the denial counts.
        both = {cid for cid, overrides in opposed.items() if overrides and cid in levels}
        for cid in both:
            levels[cid] = "named"
        for cid, level in levels.items():
            item = evidence[cid]
            if item.level is None or _RANK[level] > _RANK[item.level]:
                item.level = level
                item.support = [view.sentence.index]
            elif level == item.level:
                item.support.append(view.sentence.index)
        if view.reported:
            continue
        for cid in negated:
            evidence[cid].negated_in.append(view.sentence.index)
        for cid in negated - set(levels):
            evidence[cid].against.append(view.sentence.index)
        for concept_id in opposed:
            if concept_id in levels and concept_id not in both:
                continue
            item = evidence[concept_id]
            if view.sentence.index not in item.against:
                item.against.append(view.sentence.index)
            item.denied = True
    if compiled.spanning_rules:
        _across_sentences(compiled, analysis, evidence)
    _withdraw_revised(analysis, evidence)
    for item in evidence.values():
        if holds_against(evidence, item.concept.excluded_by):
            item.level, item.support = None, []
        elif item.level == "explained" and holds_against(evidence, item.concept.capped_by):
            # Explained only the way the wrong view sees it: one direction of the relation.
            item.level, item.capped = "named", True
    return evidence


def holds_against(evidence: dict[str, ConceptEvidence], concepts: Sequence[str]) -> bool:
    """Whether the answer holds the opposite of one of ``concepts``: stated outright and not explained."""
    return any(evidence[c].denied and evidence[c].contradicted for c in concepts)


def _cut_off_sentence(analysis: Analysis) -> int | None:
    """The index of the answer's last sentence when the answer stops in the middle of it: no mark ends
    it, and it ends on a clause mark or a grammatical word that needs more after it ("……,我们就是")."""
    if not analysis.sentences:
        return None
    last = analysis.sentences[-1]
    text = last.sentence.text.rstrip()
    if not text or text[-1] in _ENDED:
        return None
    words = [t.text for t in last.tokens if t.text.strip()]
    if text[-1] in _CLAUSE_MARKS or (words and words[-1] in FUNCTION_WORDS):
        return last.sentence.index
    return None


def _cut_off(compiled: CompiledRubric, view: SentenceView, levels: dict[str, Level]) -> dict[str, Level]:
    """A sentence cut off in its last clause names what that clause begins to say; it explains only what
    its finished clauses explain without it ("……员工要完成任务也需要领导给")."""
    text, offset = view.sentence.text.rstrip(), view.sentence.start
    marks = [i for i, ch in enumerate(text[:-1]) if ch in _CLAUSE_MARKS]
    finished = _sentence_levels(compiled, _clause_view(view, offset, offset + marks[-1]))[0] if marks else {}
    return {
        cid: "named" if level == "explained" and finished.get(cid) != "explained" else level
        for cid, level in levels.items()
    }


def _opens_with_turn(view: SentenceView) -> bool:
    words = [t.text for t in view.tokens[:3] if t.text.strip() and not _CLAUSE_MARKS.issuperset(t.text)]
    # jieba may cut a turn in two (倒 / 过来, 话说 / 回来).
    return bool(words) and (words[0] in _TURNS or "".join(words[:2]) in _TURNS)


def _withdraw_revised(analysis: Analysis, evidence: dict[str, ConceptEvidence]) -> None:
    """A view the answer states and then turns away from is not the view it holds: "班长让干啥就干啥。
    不过话说回来,班长也得给咱把车派好……所以也是互相的。" A concept a later sentence earns after such a
    turn is not excluded (or capped) by the denial before it, and that denial no longer counts."""
    sentences = analysis.sentences
    for item in evidence.values():
        if not item.denied or not item.against:
            continue
        turn = next(
            (v.sentence.index for v in sentences[max(item.against) + 1 :] if v.eligible and _opens_with_turn(v)),
            None,
        )
        if turn is None:
            continue
        revised = any(
            item.concept.id in (*other.concept.excluded_by, *other.concept.capped_by)
            and any(i >= turn for i in other.support)
            for other in evidence.values()
        )
        if revised:
            item.denied, item.against = False, []  # every denial lies before the turn


def _across_sentences(compiled: CompiledRubric, analysis: Analysis, evidence: dict[str, ConceptEvidence]) -> None:
    """Try the rules with a ``span`` on runs of consecutive sentences: a relation stated across
    sentences. A run holds only sentences that may earn points in the candidate's own voice (no
    reported view, no list, no copied or wrong-topic text); their negated words are left out."""
    views = analysis.sentences
    wanted = compiled.spanning_keys
    # Per sentence, the keys the spanning rules use, without negated words; None: may not take part.
    own: list[dict[str, list[tuple[int, int]]] | None] = []
    for view in views:
        if not view.eligible or view.list_like or view.copied or view.borrowed or view.reported:
            own.append(None)
            continue
        if _misreads(compiled, view):
            own.append(None)
            continue
        keys = {key: spans for key, spans in view.keys.items() if key in wanted}
        if keys and view.scope:
            covers = view.scope.covers
            keys = {k: kept for k, spans in keys.items() if (kept := [(a, b) for a, b in spans if not covers(a, b)])}
        asks = view.sentence.asks_from < view.sentence.end
        own.append(None if asks and not keys else keys)
    # A question in between ("……我咋跑?", "可他不给我排好线路,我咋跑?") asserts nothing the rules use
    # but does not break the thread.
    bridge = [
        o is not None or (v.sentence.asks_from < v.sentence.end and v.duplicate_of is None)
        for o, v in zip(own, views, strict=True)
    ]
    widest = max(rule.span for rule in compiled.spanning_rules)
    for first in range(len(views)):
        if not own[first]:
            continue
        for width in range(2, widest + 1):
            run = range(first, first + width)
            if run.stop > len(views) or not all(bridge[i] for i in run):
                break
            parts = [own[i] for i in run if own[i] is not None]
            if not own[run[-1]] or not all(parts):
                continue  # every sentence of the run must hold something the rules use
            merged: dict[str, list[tuple[int, int]]] = {}
            for part in parts:
                for key, spans in part.items():  # type: ignore[union-attr]
                    merged.setdefault(key, []).extend(spans)
            present = merged.keys()
            for rule in compiled.spanning_rules:
                if rule.span < width or not rule.may_match(present):
                    continue
                if not _own_words(merged, rule.all, [k for k in rule.any if k in merged]):
                    continue
                # Every sentence of the run holds part of the statement, not only what it is about.
                elements = (*rule.all, *rule.any)
                if not all(any(k in part for k in elements) for part in parts):  # type: ignore[operator]
                    continue
                item = evidence[rule.concept_id]
                if item.level is None or _RANK[rule.level] > _RANK[item.level]:
                    item.level, item.support = rule.level, list(run)


def _copied_back(analysis: Analysis, verdicts: _SentenceLevels) -> None:
    """Count the prompt's rearranged clauses into the share of the answer copied from the prompt,
    unless the sentence around them explains a concept in words of its own ("上级是下级的客户,下级也是
    上级的客户" uses the prompt's relation to state another). At COPIED_ANSWER_SHARE the whole
    answer counts as copied back (``answer_copied``)."""
    views = analysis.sentences
    if not analysis.content or not any(v.borrowed for v in views) or any(v.answer_copied for v in views):
        return
    copied = sum(v.content for v in views if v.copied)
    for view in views:
        if view.borrowed and "explained" not in verdicts.own(view.sentence.index).values():
            copied += view.borrowed_content
    if copied / analysis.content >= COPIED_ANSWER_SHARE:
        for view in views:
            view.answer_copied = True


def _crowded(view: SentenceView, textbook: frozenset[str], settings: RubricSettings, touched: int) -> bool:
    """Whether a sentence touching ``touched`` concepts is too short for them (fewer than
    ``crammed_chars_per_concept`` characters each) and holds two or more of the subject's terms."""
    return view.content < settings.crammed_chars_per_concept * touched and (
        len({h.literal for h in view.hits if h.literal in textbook}) >= 2
    )


def _clause_levels(compiled: CompiledRubric, view: SentenceView, textbook: frozenset[str]) -> dict[str, Level] | None:
    """What a sentence touching many concepts earns clause by clause, when its clauses state their few
    in words of their own: a dense summary ("……,上下级、部门间、前后工序三种都是,而且彼此互为客户和
    供方,位置随任务变"); a clause of little but the terms among them names its concepts. None when it
    is the terms crammed into one run or strung between commas."""
    text, offset = view.sentence.text, view.sentence.start
    cuts = [offset + i for i, ch in enumerate(text) if ch in _CLAUSE_ENDS and i < len(text) - 1]
    if not cuts:
        return None
    cap = compiled.rubric.settings.max_concepts_per_sentence
    levels: dict[str, Level] = {}
    start = offset
    bare = stated = 0  # clauses that are little but the terms, and clauses in words of their own
    only_named: set[str] = set()  # the concepts of the clauses that are little but the terms
    own: list[tuple[int, int, int, frozenset[str]]] = []  # clauses in words of their own: n, start, end, touched
    for n, end in enumerate([*cuts, view.sentence.end]):
        found = _sentence_levels(compiled, _clause_view(view, start, end))[0]
        if len(found) > cap:
            return None
        if found:
            terms = sorted((h.start, h.end) for h in view.hits if h.literal in textbook and start <= h.start < end)
            covered, reach = 0, start
            for a, b in terms:
                covered += max(0, min(b, end) - max(a, reach))
                reach = max(reach, b)
            if content_length(text[start - offset : end - offset]) - covered < _OWN_CHARS_PER_CONCEPT * len(found):
                # Little but the terms ("双方互为客户互为供方"): it names what it names.
                bare += 1
                found = dict.fromkeys(found, "named")
                only_named.update(found)
            else:
                stated += 1
                own.append((n, start, end, frozenset(found)))
        for cid, level in found.items():
            if cid not in levels or _RANK[level] > _RANK[levels[cid]]:
                levels[cid] = level
        start = end + 1
    # A point whose halves stand in two clauses side by side ("服务对方是义务,要求对方是权利") is explained
    # by the two together, each in words of its own.
    for (m, a, _, first), (n, _, b, second) in pairwise(own):
        for cid in first & second if n == m + 1 else ():
            if levels.get(cid) == "named" and cid not in only_named:
                pair = _sentence_levels(compiled, _clause_view(view, a, b))[0]
                if pair.get(cid) == "explained":
                    levels[cid] = "explained"
    if (bare and not stated) or len(only_named) > cap:
        # The terms strung between commas, or more of them crammed into clauses of little else than one
        # sentence may name, whatever words stand around them.
        return None
    order = compiled.concept_order
    return dict(sorted(levels.items(), key=lambda kv: order[kv[0]]))


def _clause_view(view: SentenceView, start: int, end: int) -> SentenceView:
    """``view`` with only the words between ``start`` and ``end``."""
    return _without_spans(view, [(view.sentence.start, start), (end, view.sentence.end)])


def _beside_misreading(compiled: CompiledRubric, view: SentenceView, levels: dict[str, Level]) -> dict[str, Level]:
    """``levels`` of a sentence touching a wrong reading: named, unless explained without the clauses
    that touch it."""
    spans = [_clause_at(view, a) for key in compiled.misreading_keys for a, _ in view.keys.get(key, ())]
    rest = _sentence_levels(compiled, _without_spans(view, spans))[0]
    return {cid: "explained" if level == rest.get(cid) == "explained" else "named" for cid, level in levels.items()}


def _clause_at(view: SentenceView, at: int) -> tuple[int, int]:
    """The span of the clause (between ，；：) of ``view`` that holds offset ``at``."""
    text, offset = view.sentence.text, view.sentence.start
    start = max((offset + i + 1 for i, ch in enumerate(text) if ch in _CLAUSE_ENDS and offset + i < at), default=offset)
    end = min(
        (offset + i for i, ch in enumerate(text) if ch in _CLAUSE_ENDS and offset + i >= at), default=view.sentence.end
    )
    return start, end


def _goes_on(view: SentenceView) -> bool:
    """Whether the sentence ends in a semicolon: the writer's sentence goes on in the next one."""
    return view.sentence.text.endswith("；")


def _strung(view: SentenceView, textbook: frozenset[str], settings: RubricSettings, touched: int) -> bool:
    """Whether a sentence touching ``touched`` concepts strings the subject's terms together: one run
    with no clause break, two or more terms, and too few words besides them to explain each concept
    (``crammed_chars_per_concept``). Only the words around the terms explain."""
    if any(t.text in _CLAUSE_MARKS for t in view.tokens):
        return False
    spans = sorted((h.start, h.end) for h in view.hits if h.literal in textbook)
    if len({view.sentence.text[a - view.sentence.start : b - view.sentence.start] for a, b in spans}) < 2:
        return False
    covered, reach = 0, view.sentence.start
    for start, end in spans:
        covered += max(0, end - max(start, reach))
        reach = max(reach, end)
    return view.content - covered < settings.crammed_chars_per_concept * touched


def _enumerations(compiled: CompiledRubric, analysis: Analysis, verdicts: _SentenceLevels) -> set[int]:
    """The sentences that name the kinds of something ("X分为A、B、C三种"): an enumeration marker and
    two to ``max_concepts_per_sentence`` concepts. Such a line states a classification: it names its
    concepts even when it reads like a list or is too short to resemble the references, and it is
    no bare list of keywords. Recorded in ``analysis.enumerated``."""
    cap = compiled.rubric.settings.max_concepts_per_sentence
    found = set()
    for view in analysis.sentences:
        # A line announced as keywords ("关键词：……三类：职级、职能、工序") lists the kinds; it classifies nothing.
        if ENUMERATION not in view.keys or not view.eligible or announced_list(view.sentence.text):
            continue
        touched = len(verdicts.whole(view.sentence.index)[0])
        if touched > cap:
            # A summary that classifies in one clause and says more in others ("内部客户就是……的人和部门,
            # 分职级、职能、工序三种"): the clause holding the marker is the enumeration.
            touched = len(
                _sentence_levels(compiled, _clause_view(view, *_clause_at(view, view.keys[ENUMERATION][0][0])))[0]
            )
        if 2 <= touched <= cap:
            found.add(view.sentence.index)
    if found:
        analysis.enumerated = found
        if analysis.keyword_list:
            analysis.keyword_list = is_keyword_list(compiled, analysis.sentences, frozenset(found))
    return found


def _connective(text: str, start: int, end: int) -> bool:
    """Whether the view pointer at ``start:end``, opening its sentence, is a verb phrase set off by a comma
    ("这么看,谁都不是光等人服务的"): "seen this way", a conclusion of one's own, not "this view". With a
    subject ("每道都这么想,……") it still points at a view."""
    word = text[start:end]
    return text[end : end + 1] == "，" and (word.startswith("这么") or (word.startswith("这样") and "的" not in word))


def _rejected_views(compiled: CompiledRubric, analysis: Analysis, verdicts: _SentenceLevels) -> set[int]:
    """The sentences whose statement the next sentence rejects as a view: it opens by pointing back
    at it (``view_pointers``, within ``anaphora_window``) and makes the critique itself (a question
    such as "这种理解片面吗?" rejects nothing)."""
    window = compiled.rubric.settings.anaphora_window
    out = set()
    views = analysis.sentences
    for i, view in enumerate(views[1:], start=1):
        opening = view.sentence.start + window
        pointed = any(
            start < opening and not (start == view.sentence.start and _connective(analysis.normalized.text, start, end))
            for start, end in view.keys.get(VIEW, ())
        )
        if (
            pointed
            and view.eligible
            and not compiled.refuting_concepts.isdisjoint(verdicts.whole(view.sentence.index)[0])
        ):
            # The view is the whole sentence before, clauses ended by a semicolon included.
            out.add(views[i - 1].sentence.index)
            j = i - 1
            while j > 0 and _goes_on(views[j - 1]):
                j -= 1
                out.add(views[j].sentence.index)
    return out


def _leads_in(lead: SentenceView, view: SentenceView, settings: RubricSettings, keyword_list: bool) -> bool:
    """Whether ``lead``'s words carry into ``view``: ``lead`` is a short opener, or ``view`` opens
    with a word that refers back to it (这时, 他们, 反过来 …)."""
    if lead.copied or lead.duplicate_of is not None or lead.distracted:
        return False
    if keyword_list and lead.list_like:
        return False
    if not lead.keys:
        return False
    if lead.content <= settings.lead_in_chars or _goes_on(lead):
        return True  # a short opener, or the clause before a semicolon: the same sentence goes on
    opening = view.sentence.start + settings.anaphora_window
    return any(start < opening for start, _ in view.keys.get(ANAPHORA, ()))


def _with_lead(view: SentenceView, lead: SentenceView) -> SentenceView:
    """``view`` with the opener's words added; they lie before the sentence, outside its negation."""
    keys = {k: list(spans) for k, spans in view.keys.items()}
    for key, spans in lead.keys.items():
        keys.setdefault(key, []).extend(spans)
    return _with_keys(view, keys)
