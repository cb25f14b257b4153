"""Concept evidence: which sentences support, or deny, each concept of the rubric.

A concept is earned by a sentence that asserts it. Each rule is tried on each sentence;
a match inside a negation's scope is evidence against the concept, not for it. The best
level a concept reaches (``explained`` over ``named``) decides its status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..rubric.schema import Concept
from .analysis import Analysis, SentenceView
from .engine import CompiledRubric, CompiledRule

__all__ = ["ConceptEvidence", "Level", "match_concepts", "match_rule"]

Level = Literal["named", "explained"]
_RANK = {"named": 1, "explained": 2}


@dataclass
class ConceptEvidence:
    """What the answer shows of one concept."""

    concept: Concept
    level: Level | None = None
    support: list[int] = field(default_factory=list)  # sentence indices at the best level
    against: list[int] = field(default_factory=list)
    denied: bool = False  # a `contradicts` rule matched: the opposite is stated outright
    negated_in: list[int] = field(default_factory=list)  # sentences where a rule matched under negation

    @property
    def contradicted(self) -> bool:
        return bool(self.against) and self.level != "explained"


def _all_negated(view: SentenceView, spans: list[tuple[int, int]], own: frozenset[int]) -> bool:
    return all(view.scope.covers(a, b, ignore_post=own) for a, b in spans)


def match_rule(rule: CompiledRule, view: SentenceView) -> Literal["none", "match", "negated"]:
    """Try one rule on one sentence."""
    keys = view.keys
    present = keys.keys()
    if not rule.all_set <= present:
        return "none"
    present_any = [k for k in rule.any if k in keys]
    if rule.any and not present_any:
        return "none"
    if not present.isdisjoint(rule.none):
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


def _sentence_levels(compiled: CompiledRubric, view: SentenceView) -> tuple[dict[str, Level], set[str]]:
    """Best level per concept in one sentence, and the concepts a rule found negated."""
    levels: dict[str, Level] = {}
    negated: set[str] = set()
    for rule in compiled.candidate_rules(view.keys):
        outcome = match_rule(rule, view)
        best = levels.get(rule.concept_id)
        if outcome == "match" and (best is None or _RANK[rule.level] > _RANK[best]):
            levels[rule.concept_id] = rule.level
        elif outcome == "negated":
            negated.add(rule.concept_id)
    if len(levels) > 1:
        order = compiled.concept_order
        levels = dict(sorted(levels.items(), key=lambda kv: order[kv[0]]))
    return levels, negated


def match_concepts(compiled: CompiledRubric, analysis: Analysis) -> dict[str, ConceptEvidence]:
    """Gather, for every concept, the sentences that support it and those that deny it."""
    settings = compiled.rubric.settings
    evidence = {c.id: ConceptEvidence(c) for c in compiled.rubric.concepts}
    for view in analysis.sentences:
        if not view.eligible:
            continue
        levels, negated = _sentence_levels(compiled, view)
        if view.list_like:
            if analysis.keyword_list:
                continue
            levels = dict.fromkeys(levels, "named")
        if view.copied:
            # Quoting the prompt inside an answer of one's own shows at most that a point is named.
            levels = dict.fromkeys(levels, "named")
        crowded = view.content < settings.crammed_chars_per_concept * len(levels)
        if len(levels) > settings.max_concepts_per_sentence and crowded:
            # A sentence crammed with the terms of every concept explains none of them.
            levels = dict.fromkeys(levels, "named")
        if view.topicality < settings.on_topic_similarity:
            # Terms dropped into a sentence about something else earn nothing by name alone.
            levels = {cid: lvl for cid, lvl in levels.items() if lvl == "explained"}
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
        for concept_id, rules in compiled.contradicting:
            if concept_id in levels:
                continue
            if any(match_rule(rule, view) == "match" for rule in rules):
                item = evidence[concept_id]
                if view.sentence.index not in item.against:
                    item.against.append(view.sentence.index)
                item.denied = True
    for item in evidence.values():
        if any(evidence[o].denied and evidence[o].contradicted for o in item.concept.excluded_by):
            item.level, item.support = None, []
    return evidence
