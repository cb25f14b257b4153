"""Read an answer sentence by sentence: what each sentence contains and what it may earn.

The analysis segments the normalised answer once, finds the rubric's literals, computes
each sentence's negation scope and its similarity to the reference material, and marks
the sentences that must not earn points: questions, sentences copied from the prompt,
repeats of an earlier sentence, and bare lists of terms.
"""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, compress, count
from operator import attrgetter, itemgetter

from ..rubric.schema import GAP
from ..text import NegationScope, Negator, NormalizedText, Sentence, Token, normalize, split_sentences
from .engine import PROMPT_NGRAM, REPORTED, CompiledRubric, Hit, alnum, max_cosine, windows, without_filler
from .similarity import Doc, FeatureCounts

__all__ = [
    "COPIED_ANSWER_SHARE",
    "Analysis",
    "SentenceView",
    "analyse",
    "announced_list",
    "content_length",
    "copied_share",
    "is_keyword_list",
]

# Text is letters (Han included) and words in them; punctuation, symbols, emoji, spaces and the
# numerals of list items ("1.", "一、", "①") are not.
_NOT_CONTENT = re.compile(r"[\W_0-9一二三四五六七八九十\u2460-\u24ff]+")


# Grammatical words of ordinary Chinese prose; a line without them is a list, not a sentence.
FUNCTION_WORDS = frozenset(
    "的 了 是 在 把 被 给 让 要 就 也 都 会 能 得 地 着 过 和 与 跟 对 为 从 向 而 但 如果 因为 所以 这 那 这个 那个 "
    "我 你 他 她 它 我们 你们 他们 有 没 没有 不 很 还 又 才 只 去 来 说 做 当 时 时候 就是 可以 需要 应该 要求 "
    "之间 一个 如 比如 并 并且 或 或者 及 以及 既 又 但是 可是 只有 才能 能够 通过 进行 包括 具有 体现 成为 叫".split()
)
_SEPARATORS = set("、， /|↔→←+＋-—;:：")

# A question that argues rather than asks ("下级拿什么让他满意?", "到底谁伺候谁?"): an answer of such
# questions makes its case, it does not pose the question's points.
_RHETORICAL = re.compile(
    r"拿什么|拿啥|找谁|谁来|难道|岂|凭什么|上哪|怎么可能|哪能|何必|谁伺候谁|谁服务谁|得响吗|转得动|干得成"
)

# A line that announces itself as a list of keywords ("关键词：……") is one, whatever its items.
_LIST_LABEL = re.compile(r"\s*(关键词|关键字|关键点|key ?words?)\s*[:：]", re.IGNORECASE)

_WORD = itemgetter(0)  # a token's text
_ITEM_ENDS = frozenset("，。；：！？,.;:!?")
# Groups every word of the subject belongs to: they say nothing about which point a word makes.
_MERE_GROUPS = frozenset({"@subject", "@party"})
# Words of this many of the rubric's groups standing alone between separators make a list of terms.
BARE_LIST_GROUPS = 4

# A sentence made almost only of the prompt's character pairs is the prompt rearranged.
REARRANGED_SHARE = 0.75

# A numbered line of at most this many characters of text, with no grammatical word but those that join
# a noun phrase, is a heading.
HEADING_MAX = 12
_NUMBERED = re.compile(
    r"(?:[一二三四五六七八九十]+[、.．]|\d+[、.．)）]|[（(][一二三四五六七八九十\d]+[)）]|[\u2460-\u2473])"
)
_PHRASE_WORDS = frozenset({"的", "与", "和", "及", "以及", "之间"})

# Share of an answer copied from the prompt above which the answer counts as copied back.
COPIED_ANSWER_SHARE = 0.4

# Clauses end at these marks. A clause of fewer letters than BORROWED_MIN is never judged borrowed,
# and a sentence sharing fewer than BORROWED_MIN character pairs with the prompt is not searched.
_CLAUSE_END = re.compile(r"[，；：,;:]")
BORROWED_MIN = 6


def announced_list(text: str) -> bool:
    """Whether a line announces itself as a list of keywords ("关键词：……")."""
    return _LIST_LABEL.match(text) is not None


def content_length(text: str) -> int:
    """Characters that carry text: punctuation, spaces, digits and list numerals left out."""
    return len(_NOT_CONTENT.sub("", text))


@dataclass
class SentenceView:
    """One sentence with everything the concept matcher and the guards need."""

    sentence: Sentence
    tokens: list[Token]
    hits: list[Hit]
    keys: dict[str, list[tuple[int, int]]]
    negator: Negator
    content: int
    topicality: float = 0.0
    copied: bool = False
    duplicate_of: int | None = None
    list_like: bool = False
    reported: bool = False
    answer_copied: bool = False
    distracted: bool = False  # about one of the rubric's wrong topics
    # Clauses that only rearrange the prompt's words ("下级的客户是上级"), inside a sentence of one's own.
    borrowed: list[tuple[int, int]] = field(default_factory=list)
    borrowed_content: int = 0
    # The rubric's word groups of its items that are one word alone between separators (see _bare_groups).
    bare_groups: frozenset[str] = frozenset()
    concrete: int = 0  # concrete words (see Rule.concrete), counted when some rule asks

    @cached_property
    def scope(self) -> NegationScope:
        """Where negation reaches in this sentence; computed only for sentences a rule looks at."""
        return self.negator.scope(self.tokens, [(h.start, h.end) for h in self.hits])

    @property
    def eligible(self) -> bool:
        """Whether the sentence may earn points at all."""
        if (self.copied and self.answer_copied) or self.distracted:
            return False
        return not (self.sentence.is_question or self.duplicate_of is not None)


@dataclass
class Analysis:
    normalized: NormalizedText
    sentences: list[SentenceView]
    content: int
    off_topic_hits: dict[str, set[str]] = field(default_factory=dict)
    keyword_list: bool = False
    relevant: FeatureCounts | None = None  # the sentences on topic, as one document
    relevant_content: int = 0  # their length in characters of text
    # Sentences that name the kinds of something ("X分为A、B、C三种"): set by the concept matcher.
    enumerated: set[int] = field(default_factory=set)
    prompt_share: float = 0.0  # share of the answer's character pairs that are the prompt's


def _inside_longer(hits: list[Hit], wrong_topic: dict[str, tuple[str, ...]]) -> set[Hit]:
    """The hits that lie inside a longer literal of the subject found in the answer (售后 inside 售后组;
    neither a literal with a gap nor one of a wrong topic, ``wrong_topic``, counts as longer): read as part
    of the longer word, they name no wrong topic of their own. ``hits`` are sorted by start, the longest
    first at one start."""
    inner: set[Hit] = set()
    reach = -1
    for hit in hits:
        if hit.end <= reach:
            inner.add(hit)
        elif GAP not in hit.literal and hit.literal not in wrong_topic:
            reach = hit.end
    return inner


def _prompt_pairs(chars: str) -> set[str]:
    """The character pairs of ``chars`` as compared with the prompt's (see :func:`without_filler`)."""
    return set(windows(without_filler(chars), 2))


def copied_share(chars: str, prompt_ngrams: frozenset[str]) -> float:
    """Share of ``chars`` (a sentence's letters and digits, see :func:`alnum`) that lie in a run of
    the prompt at least PROMPT_NGRAM long."""
    if len(chars) < PROMPT_NGRAM:
        return 0.0
    starts = list(compress(count(), map(prompt_ngrams.__contains__, windows(chars, PROMPT_NGRAM))))
    if not starts:
        return 0.0
    covered: set[int] = set()
    for i in starts:
        covered.update(range(i, i + PROMPT_NGRAM))
    return len(covered) / len(chars)


def _new_idea(compiled: CompiledRubric, view: SentenceView, start: int, end: int) -> bool:
    """Whether a synonym group the prompt lacks occurs between ``start`` and ``end``."""
    groups = compiled.prompt_groups
    return any(
        key[0] == "@" and key not in groups and any(start <= a and b <= end for a, b in spans)
        for key, spans in view.keys.items()
    )


def _borrowed_clauses(compiled: CompiledRubric, view: SentenceView, spelled: str) -> list[tuple[int, int]]:
    """The clauses of ``view`` made (nearly) only of the prompt's character pairs and bringing no
    synonym group the prompt lacks: the prompt's statements rearranged, not the candidate's own.
    ``spelled``: the answer's text spelled as the prompt spells its words."""
    offset = view.sentence.start
    text = spelled[offset : view.sentence.end]
    found = []
    start = 0
    for end in [m.start() for m in _CLAUSE_END.finditer(text)] + [len(text)]:
        chars = alnum(text[start:end])
        if len(chars) >= BORROWED_MIN and (
            # Long runs of the prompt (its instruction echoed: "我在工作中是这样理解客户关系的"), or
            # the prompt's words rearranged with no idea the prompt lacks.
            copied_share(chars, compiled.prompt_ngrams) >= compiled.rubric.settings.copied_prompt_overlap
            or (
                not _new_idea(compiled, view, offset + start, offset + end)
                and len((grams := _prompt_pairs(chars)) & compiled.prompt_bigrams) >= REARRANGED_SHARE * len(grams)
            )
        ):
            found.append((offset + start, offset + end))
        start = end + 1
    return found


def _list_features(compiled: CompiledRubric, view: SentenceView) -> tuple[float, int, bool, bool]:
    """(share of the sentence's words that are subject terms, number of distinct terms, whether the
    words stand side by side with separators and (almost) no grammatical words, whether it is a
    heading)."""
    covered: set[int] = set()
    terms: set[str] = set()
    term_literals = compiled.term_literals
    for literal, start, end in view.hits:
        if literal in term_literals:
            covered.update(range(start, end))
            terms.add(literal)
    words = [t for t in view.tokens if not _NOT_CONTENT.fullmatch(t.text)]
    share = 0.0
    if words and terms:
        # A grammatical word inside a naming phrase ("是相互的") still makes a sentence, not a list.
        inside = sum(1 for t in words if t.text not in FUNCTION_WORDS and covered.issuperset(range(t.start, t.end)))
        share = inside / len(words)
    separators = sum(1 for t in view.tokens if t.text in _SEPARATORS or t.text.strip() == "")
    grammar = sum(1 for t in words if t.text in FUNCTION_WORDS)
    listed = (
        (len(words) >= 4 and separators >= 2 and grammar <= 0.1 * len(words))
        or len(view.bare_groups) >= BARE_LIST_GROUPS
        or (separators >= 2 and announced_list(view.sentence.text))
    )
    # A short line is a heading when it holds a term, or one or two of the rubric's words with no
    # grammatical word between them ("部门", "服务满意"); ending in a full stop or an exclamation mark
    # with a grammatical word, it is a statement ("所以是互相的。"), not a heading.
    bare = bool(view.keys) and 1 <= len(words) <= 2 and not grammar
    statement = bool(grammar) and view.sentence.text.endswith(("。", "！"))
    heading = view.content <= 8 and bool(terms or bare) and not statement
    # A numbered line that is a noun phrase ("四、内部客户的权利与义务") is a heading of an outline.
    heading = heading or (
        view.content <= HEADING_MAX
        and bool(view.keys)
        and _NUMBERED.match(view.sentence.text) is not None
        and not view.sentence.text.endswith(("。", "！"))
        and all(t.text in _PHRASE_WORDS for t in words if t.text in FUNCTION_WORDS)
    )
    return share, len(terms), listed, heading


def _bare_groups(view: SentenceView) -> frozenset[str]:
    """The rubric's word groups of the items of ``view`` that are one word alone between separators
    ("……、上级、部门、相互、满意、沟通"), when such items make at least half of the sentence's text.
    Words of BARE_LIST_GROUPS or more groups so make a list however it is introduced
    ("关键词:接受工作的就是客户、上级、下级、部门、相互、服务、满意"); things of one kind listed in a
    sentence ("采购、生产、质检、仓库之间") are one group."""
    items: list[list[Token]] = [[]]
    for token in view.tokens:
        if (token.text in _SEPARATORS or token.text in _ITEM_ENDS) and token.text != " ":
            items.append([])  # a space parts Latin words, not items (one between Han is a comma already)
        elif not _NOT_CONTENT.fullmatch(token.text):
            items[-1].append(token)
    if 2 * sum(len(item[0].text) for item in items if len(item) == 1) < view.content:
        return frozenset()
    groups: set[str] = set()
    for item in items:
        if len(item) == 1:
            word = item[0]
            groups.update(
                key
                for key, spans in view.keys.items()
                if key[0] == "@"
                and key not in _MERE_GROUPS
                and any(a <= word.start and word.end <= b for a, b in spans)
            )
    return frozenset(groups)


class _Repeats:
    """Finds, for each sentence in turn, the first earlier one it nearly repeats (Jaccard similarity
    of their character bigrams at least ``threshold``). An index from bigram to the sentences holding
    it counts the overlaps, so that a long answer does not compare every pair of sentences; an exact
    repeat only looks at the sentences before the one it repeats."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.sizes: list[int] = []
        self.holders: dict[str, list[int]] = {}  # bigram -> the sentences holding it, in order
        self.first: dict[frozenset[str], int] = {}  # a sentence's bigrams -> where they first occurred

    def add(self, grams: set[str]) -> int | None:
        """Record the next sentence's bigrams; the index of the first earlier sentence it repeats."""
        index = len(self.sizes)
        self.sizes.append(len(grams))
        if not grams:
            return None
        key = frozenset(grams)
        exact = self.first.setdefault(key, index)
        found = exact if exact < index else None
        holders, earlier = self.holders, []
        for gram in grams:
            held = holders.get(gram)
            if held is None:
                holders[gram] = [index]
                continue
            earlier.append(held if found is None else held[: bisect_left(held, found)])
            held.append(index)
        # Counted in one call (per-list ``update`` calls cost more than the counting); the lists kept
        # whole now end in this sentence's own index, which is no earlier sentence.
        overlaps = Counter(chain.from_iterable(earlier))
        overlaps.pop(index, None)
        size, sizes, threshold = len(grams), self.sizes, self.threshold
        similar = [i for i, shared in overlaps.items() if shared / (size + sizes[i] - shared) >= threshold]
        return min(similar) if similar else found


def is_keyword_list(
    compiled: CompiledRubric, views: list[SentenceView], named_kinds: frozenset[int] = frozenset()
) -> bool:
    """Whether the answer is mostly a bare list of terms; ``named_kinds`` are list-like sentences that
    state a classification ("X分为A、B、C") and so are no bare list."""
    own = sum(v.content for v in views if not v.copied)
    listed = sum(v.content for v in views if v.list_like and v.sentence.index not in named_kinds)
    all_terms = {h.literal for v in views for h in v.hits if h.literal in compiled.term_literals}
    # The subject's everyday words listed bare count as its terms do ("上级、部门、相互、满意").
    bare = set().union(*(v.bare_groups for v in views if v.list_like and v.sentence.index not in named_kinds))
    labelled = any(v.list_like and announced_list(v.sentence.text) for v in views)
    return bool(own) and listed / own >= 0.5 and (len(all_terms) >= 3 or len(bare) >= BARE_LIST_GROUPS or labelled)


def analyse(compiled: CompiledRubric, answer: str) -> Analysis:
    """Analyse ``answer`` against ``compiled``; pure and deterministic."""
    settings = compiled.rubric.settings
    normalized = normalize(answer)
    text = normalized.text
    tokens = compiled.segmenter.tokens(text)
    hits = compiled.index.find(text)
    views: list[SentenceView] = []
    token_starts = list(map(attrgetter("start"), tokens))
    token_ends = list(map(attrgetter("end"), tokens))
    hit_starts = list(map(attrgetter("start"), hits))
    keys_by_literal = compiled.index.keys_by_literal
    inner = _inside_longer(hits, compiled.off_topic_groups)
    sentences = split_sentences(text, tokens)
    if sum(s.asks_from < s.end and not _RHETORICAL.search(s.text) for s in sentences) * 2 >= len(sentences) > 1:
        # An answer made mostly of questions poses the points: what its questions state first
        # ("上级是下级的客户,那下级是不是上级的客户?") sets up the question, it asserts nothing.
        sentences = [
            dataclasses.replace(s, is_question=True, asks_from=s.start) if s.asks_from < s.end else s for s in sentences
        ]
    for sentence in sentences:
        first = bisect_left(token_starts, sentence.start)
        sent_tokens = tokens[first : max(first, bisect_right(token_ends, sentence.end))]
        # What a sentence asks after stating something ("……,你拿啥干?") asserts nothing: its words are not looked up.
        sent_hits = [
            hit
            for hit in hits[bisect_left(hit_starts, sentence.start) : bisect_left(hit_starts, sentence.asks_from)]
            if hit.end <= sentence.asks_from
        ]
        keys: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for hit in sent_hits:
            span = hit[1:]
            nested = hit in inner
            for key in keys_by_literal[hit.literal]:
                if nested and key[0] == "!":
                    continue  # 售后 inside 售后组: part of a longer word, not the wrong topic
                keys[key].append(span)
        view = SentenceView(
            sentence=sentence,
            tokens=sent_tokens,
            hits=sent_hits,
            keys=keys,
            negator=compiled.negator,
            content=content_length(sentence.text),
        )
        # What others say is not the candidate's, unless the candidate rejects it in their own voice
        # ("有人说……,我不同意"): then its denial is the candidate's stance.
        view.reported = REPORTED in keys and not view.scope.reports
        views.append(view)

    total = sum(v.content for v in views)
    analysis = Analysis(normalized=normalized, sentences=views, content=total)
    if not views:
        return analysis

    # Sentences copied from the prompt, and repeats of an earlier sentence. The prompt's words misspelt
    # ("下道工续是上道工续的客护") are compared as the prompt spells them.
    spelled = compiled.spelled_as_prompt(text)
    repeats = _Repeats(settings.repeated_sentence_similarity)
    for view in views:
        chars = alnum(spelled[view.sentence.start : view.sentence.end])
        grams = set(windows(chars, 2))
        own_pairs = _prompt_pairs(chars)
        shared = len(own_pairs & compiled.prompt_bigrams)
        # Copied: long runs of the prompt, or the prompt's words rearranged (nearly all its bigrams) with
        # no idea the prompt lacks ("上级是下级的客户,下级也是上级的客户" turns the prompt's relation round).
        view.copied = copied_share(chars, compiled.prompt_ngrams) >= settings.copied_prompt_overlap or (
            view.content >= 12
            and shared >= REARRANGED_SHARE * len(own_pairs)
            and not _new_idea(compiled, view, view.sentence.start, view.sentence.end)
        )
        view.duplicate_of = repeats.add(grams)
        if not view.copied and shared >= BORROWED_MIN:
            view.borrowed = _borrowed_clauses(compiled, view, spelled)
            view.borrowed_content = sum(content_length(text[a:b]) for a, b in view.borrowed)

    pairs = windows(without_filler(alnum(spelled)), 2)
    if pairs:
        analysis.prompt_share = sum(map(compiled.prompt_bigrams.__contains__, pairs)) / len(pairs)
    copied = sum(v.content for v in views if v.copied)
    if total and copied / total >= COPIED_ANSWER_SHARE:
        for view in views:
            view.answer_copied = True

    # Bare lists of terms: lines made of subject terms with (almost) nothing between them.
    for view in views:
        if view.copied:
            continue
        view.bare_groups = _bare_groups(view)
        share, distinct, listed_words, heading = _list_features(compiled, view)
        view.list_like = heading or (distinct >= 2 and share >= settings.keyword_density) or listed_words
    analysis.keyword_list = is_keyword_list(compiled, views)

    if compiled.concrete_counted:
        for view in views:
            view.concrete = compiled.concrete_words(map(_WORD, view.tokens))

    # Similarity of each sentence to the reference material.
    counts = compiled.tfidf.count([Doc(tuple(map(_WORD, v.tokens)), v.sentence.text) for v in views])
    for view, score in zip(views, max_cosine(compiled, counts, compiled.reference_sentences), strict=True):
        view.topicality = float(score)

    relevant = [
        i
        for i, v in enumerate(views)
        if v.eligible and not v.list_like and v.topicality >= settings.on_topic_similarity
    ]
    if relevant:
        analysis.relevant = counts.merged(relevant)
        analysis.relevant_content = sum(views[i].content for i in relevant)

    off_topic: dict[str, set[str]] = defaultdict(set)
    groups_of = compiled.off_topic_groups
    for view in views:
        found = {
            (group, hit.literal) for hit in view.hits if hit not in inner for group in groups_of.get(hit.literal, ())
        }
        # A sentence that names two things of a wrong topic is about that topic.
        view.distracted = len({literal for _, literal in found}) >= 2
        if view.duplicate_of is None:
            for group, literal in found:
                off_topic[group].add(literal)
    analysis.off_topic_hits = dict(off_topic)
    return analysis
