"""A rubric compiled for fast grading: term index, segmenter, TF-IDF model, reference vectors.

Compiling a rubric does every piece of work that does not depend on the answer once, so
that grading one answer only segments it once and looks things up.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, KeysView
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path
from typing import Literal, NamedTuple

import ahocorasick
import numpy as np

from ..errors import RubricError, RubricProblem
from ..rubric.schema import GAP, Rubric, Rule
from ..text import Negator, Segmenter, normalize, split_sentences
from ..text.homophones import homophone_variants
from ..text.segment import base_frequencies
from .calibration import Calibration
from .similarity import Doc, FeatureCounts, References, TfidfModel

__all__ = [
    "ANAPHORA",
    "ENGINE_VERSION",
    "ENUMERATION",
    "VIEW",
    "CompiledRubric",
    "CompiledRule",
    "Hit",
    "TermIndex",
    "compile_rubric",
    "rubric_digest",
    "tfidf_path",
]

log = logging.getLogger("yuejuan.scoring")

# Bump when a change can alter any grade: it is part of every result.
ENGINE_VERSION = "0.9.48"

REPORTED = "~reported"
ENUMERATION = "~enumeration"
ANAPHORA = "~anaphora"
VIEW = "~view"
# Runs of this many characters shared with the prompt count as copied from it.
PROMPT_NGRAM = 5
# A word of Han characters only.
_HAN = re.compile(r"[\u4e00-\u9fff]+\Z")


class Hit(NamedTuple):
    """A literal of the rubric found in the normalised answer."""

    literal: str
    start: int
    end: int


# Hit(...) runs Python code; tuple.__new__ builds the same tuple subclass in C.
_new_hit = partial(tuple.__new__, Hit)


class TermIndex:
    """Finds every rubric literal in a text (overlapping matches included) and the keys each satisfies.

    A key is a literal itself, ``@group`` for a lexicon group, ``!group`` for an off-topic
    group, or ``~reported`` for reported-speech markers. Matching runs an Aho–Corasick
    automaton (pyahocorasick, in C) over the lower-cased text.

    A literal with a gap (``我们…车间``, :data:`GAP`) matches its first part followed, within ``gap``
    characters of letters and digits (no punctuation or space between), by its second part: one's own
    unit named with what it makes or does (我们冲压车间, 我们速冻水饺车间). The hit spans both parts and
    what lies between; the nearest second part is taken.
    """

    def __init__(self, keys_by_literal: dict[str, set[str]], gap: int = 0) -> None:
        self.keys_by_literal = {lit: frozenset(keys) for lit, keys in keys_by_literal.items()}
        self.gap = gap
        # First part -> (second part, the gapped literal), for the literals with a gap.
        self._gapped: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for literal in sorted(self.keys_by_literal):
            if GAP in literal:
                first, second = literal.split(GAP)
                self._gapped[first].append((second, literal))
        # The first parts that are no literal of their own: looked for, never reported.
        self._parts = frozenset(self._gapped) - self.keys_by_literal.keys()
        automaton = ahocorasick.Automaton()
        for literal in sorted({*(lit for lit in self.keys_by_literal if GAP not in lit), *self._gapped}):
            automaton.add_word(literal, (literal, len(literal) - 1))
        if len(automaton):
            automaton.make_automaton()
        self._automaton = automaton

    def find(self, text: str) -> list[Hit]:
        """The literals in ``text``, by start and, at one start, longest first."""
        if not self.keys_by_literal:
            return []
        lower = text.lower()
        found = [(end - back, -back, literal) for end, (literal, back) in self._automaton.iter(lower)]
        if self._gapped:
            found = self._with_gaps(lower, found)
        found.sort()
        return list(map(_new_hit, [(literal, start, start + 1 - minus) for start, minus, literal in found]))

    def _with_gaps(self, lower: str, found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
        """``found`` with the gapped literals whose first part it holds, less the bare first parts."""
        gapped = self._gapped
        out = [entry for entry in found if entry[2] not in self._parts]
        for start, minus, literal in found:
            pairs = gapped.get(literal)
            if pairs is None:
                continue
            end = start + 1 - minus
            for second, whole in pairs:
                at = lower.find(second, end, end + self.gap + len(second))
                if at >= 0 and (at == end or lower[end:at].isalnum()):
                    out.append((start, start + 1 - at - len(second), whole))
        return out


def tfidf_path(rubric_file: Path) -> Path:
    """Where the fitted TF-IDF statistics of a rubric file live."""
    return rubric_file.with_suffix(".tfidf.json")


def _doc(segmenter: Segmenter, text: str) -> Doc:
    normalized = normalize(text).text
    return Doc(tuple(segmenter.cut(normalized)), normalized)


@dataclass(frozen=True, slots=True, eq=False)
class CompiledRule:
    """A rule with its elements turned into index keys once."""

    concept_id: str
    level: Literal["named", "explained"]
    all: tuple[str, ...]
    any: tuple[str, ...]
    none: tuple[str, ...]
    negatable: bool
    refutes: bool
    overrides: bool
    all_set: frozenset[str]
    any_set: frozenset[str]
    about: frozenset[str]
    span: int
    concrete: int

    @classmethod
    def of(cls, concept_id: str, rule: Rule) -> CompiledRule:
        def keys(elements: list[str]) -> tuple[str, ...]:
            return tuple(e if e.startswith("@") else e.lower() for e in elements)

        required, alternatives = keys(rule.all), keys(rule.any)
        return cls(
            concept_id,
            rule.level,
            required,
            alternatives,
            keys(rule.none),
            rule.negatable,
            rule.refutes,
            rule.overrides,
            frozenset(required),
            frozenset(alternatives),
            frozenset(keys(rule.about)),
            rule.span,
            rule.concrete,
        )

    def may_match(self, present: KeysView[str]) -> bool:
        """The cheap part of matching: every ``all`` key, some ``any`` and ``about`` key, no ``none`` key
        present. ``about`` needs no more than this."""
        return (
            self.all_set <= present
            and not (self.any_set and present.isdisjoint(self.any_set))
            and not (self.about and present.isdisjoint(self.about))
            and present.isdisjoint(self.none)
        )

    def triggers(self) -> tuple[str, ...]:
        """Keys of which at least one must be present for the rule to match."""
        return self.all[:1] if self.all else self.any


@dataclass(frozen=True)
class CompiledRubric:
    """Everything the grader needs about one rubric, computed once."""

    rubric: Rubric
    segmenter: Segmenter
    index: TermIndex
    negator: Negator
    term_literals: frozenset[str]
    tfidf: TfidfModel
    # The reference sentences and answers, on the n-grams they contain.
    reference_sentences: References
    references: References
    prompt_ngrams: frozenset[str]
    prompt_bigrams: frozenset[str]
    prompt_groups: frozenset[str]  # the synonym groups ("@group" keys) the prompt itself contains
    rules: dict[str, tuple[CompiledRule, ...]]
    contradicts: dict[str, tuple[CompiledRule, ...]]
    triggers: dict[str, tuple[CompiledRule, ...]]
    all_rules: tuple[CompiledRule, ...]
    calibration: Calibration | None = None

    @cached_property
    def fingerprint(self) -> str:
        """What decides the grades besides the answer: the engine, the rubric as loaded, its fitted
        TF-IDF statistics and its calibration. Two processes with the same fingerprint grade every
        answer alike; a recalibration or an engine upgrade changes it, the rubric's version may not."""
        digest = hashlib.sha256()
        calibration = self.calibration.to_dict() if self.calibration is not None else None
        for part in (
            ENGINE_VERSION,
            self.rubric.model_dump_json(),
            json.dumps(self.tfidf.to_dict(), sort_keys=True, ensure_ascii=False),
            json.dumps(calibration, sort_keys=True),
        ):
            digest.update(part.encode())
            digest.update(b"\0")
        return digest.hexdigest()[:32]

    @cached_property
    def concrete_counted(self) -> bool:
        """Whether some rule asks how concrete a sentence is (see Rule.concrete)."""
        return any(rule.concrete for rule in self.all_rules)

    def concrete_words(self, words: Iterable[str]) -> int:
        """How many distinct concrete words ``words`` holds: Han words of two or more characters that the
        rubric does not know, rarer than ``settings.concrete_frequency`` in the base dictionary."""
        known, frequency = self.index.keys_by_literal, base_frequencies()
        rare = self.rubric.settings.concrete_frequency
        return len(
            {w for w in words if len(w) >= 2 and _HAN.match(w) and w not in known and frequency.get(w, 0) < rare}
        )

    @cached_property
    def off_topic_groups(self) -> dict[str, tuple[str, ...]]:
        """Literal -> the off-topic groups it belongs to (only literals of some group)."""
        out = {}
        for literal, keys in self.index.keys_by_literal.items():
            groups = tuple(sorted(key[1:] for key in keys if key.startswith("!")))
            if groups:
                out[literal] = groups
        return out

    @cached_property
    def _prompt_misspellings(self) -> tuple[re.Pattern[str], dict[str, str]] | None:
        """The homophone misspellings of the typo-tolerant words the prompt holds, and each one's word."""
        prompt = self.rubric.prompt.lower()
        fixes = {
            variant: word
            for word in map(str.lower, self.rubric.typo_tolerant)
            if word in prompt
            for variant in homophone_variants(word)
        }
        if not fixes:
            return None
        return re.compile("|".join(map(re.escape, sorted(fixes, key=len, reverse=True)))), fixes

    def spelled_as_prompt(self, text: str) -> str:
        """``text`` with the prompt's words spelled right where a homophone slip replaced them ("上级是下级的
        客护" → "……客户"): what is compared with the prompt, so that slips do not hide copied words. Every
        replacement has the length of what it replaces: offsets into ``text`` stay valid."""
        found = self._prompt_misspellings
        if found is None:
            return text
        pattern, fixes = found
        return pattern.sub(lambda m: fixes[m.group(0)], text)

    @cached_property
    def refuting_concepts(self) -> frozenset[str]:
        """The concepts that reject a view (those with `refutes` rules): the critique itself."""
        return frozenset(c.id for c in self.rubric.concepts if any(r.refutes for r in c.rules))

    @cached_property
    def excludes(self) -> dict[str, frozenset[str]]:
        """Concept id -> the concepts that list it in their ``excluded_by``: the points its opposite view excludes."""
        out: dict[str, set[str]] = {}
        for concept in self.rubric.concepts:
            for other in concept.excluded_by:
                out.setdefault(other, set()).add(concept.id)
        return {cid: frozenset(found) for cid, found in out.items()}

    @cached_property
    def wrong_topic_keys(self) -> tuple[str, ...]:
        """The index keys of the rubric's off-topic groups ("!group")."""
        return tuple("!" + group for group in self.rubric.off_topic)

    @cached_property
    def misreading_keys(self) -> tuple[str, ...]:
        """The keys of the off-topic groups that are a wrong reading of the question, not stories."""
        stories = set(self.rubric.story_topics)
        return tuple("!" + group for group in self.rubric.off_topic if group not in stories)

    @cached_property
    def prompt_concepts(self) -> frozenset[str]:
        """The concepts the prompt itself states (named or explained): restating them adds nothing."""
        from .analysis import analyse  # the matcher builds on this module
        from .concepts import sentence_levels

        # Read as if it were an answer's own words (an answer would count them copied, of course).
        views = analyse(self, self.rubric.prompt).sentences
        return frozenset(cid for view in views for cid in sentence_levels(self, view))

    @cached_property
    def spanning_rules(self) -> tuple[CompiledRule, ...]:
        """The rules that may gather their elements from several consecutive sentences."""
        return tuple(rule for rule in self.all_rules if rule.span > 1)

    @cached_property
    def spanning_keys(self) -> frozenset[str]:
        """The keys the spanning rules look at."""
        return frozenset(k for r in self.spanning_rules for k in (*r.all, *r.any, *r.about, *r.none))

    @cached_property
    def textbook_literals(self) -> frozenset[str]:
        """The subject's own terms and key phrases, lower-cased."""
        rubric = self.rubric
        return frozenset(
            {t.lower() for t in rubric.terms} | {p.lower() for c in rubric.concepts for p in c.key_phrases}
        )

    @cached_property
    def concept_order(self) -> dict[str, int]:
        """Concept id -> its position in the rubric."""
        return {c.id: i for i, c in enumerate(self.rubric.concepts)}

    @cached_property
    def contradicting(self) -> tuple[tuple[str, tuple[CompiledRule, ...]], ...]:
        """(concept id, its ``contradicts`` rules) for the concepts that have any, in rubric order."""
        return tuple((cid, rules) for cid, rules in self.contradicts.items() if rules)

    @cached_property
    def _rule_order(self) -> dict[CompiledRule, int]:
        return {rule: i for i, rule in enumerate(self.all_rules)}

    def candidate_rules(self, keys: Iterable[str]) -> list[CompiledRule]:
        """The rules that can match a sentence containing ``keys``, in rubric order."""
        triggers = self.triggers
        found: set[CompiledRule] = set()
        for key in keys:
            rules = triggers.get(key)
            if rules is not None:
                found.update(rules)
        return sorted(found, key=self._rule_order.__getitem__)


def _build_index(rubric: Rubric) -> TermIndex:
    keys = _literal_keys(rubric)
    # Longer words first: a phrase with 我们 gets 咱们 before 我 gets its own variants.
    for word in sorted(rubric.spoken_variants, key=len, reverse=True):
        _add_variants(keys, word.lower(), [v.lower() for v in rubric.spoken_variants[word]])
    for word in rubric.typo_tolerant:
        _add_variants(keys, word.lower(), homophone_variants(word.lower()))
    return TermIndex(dict(keys), gap=rubric.settings.phrase_gap)


def _add_variants(keys: dict[str, set[str]], word: str, variants: Iterable[str]) -> None:
    """Every literal holding ``word`` also matches written with each of ``variants``, for the same keys
    (a literal already in the rubric keeps its own)."""
    holders = [literal for literal in keys if word in literal]
    for variant in variants:
        for literal in holders:
            keys.setdefault(literal.replace(word, variant), set(keys[literal]))


def _literal_keys(rubric: Rubric) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = defaultdict(set)
    for name, members in rubric.lexicon.items():
        for literal in members:
            keys[literal.lower()].add("@" + name)
    for name, members in rubric.off_topic.items():
        for literal in members:
            keys[literal.lower()].add("!" + name)
    for literal in rubric.reported_speech:
        keys[literal.lower()].add(REPORTED)
    for literal in rubric.enumeration_markers:
        keys[literal.lower()].add(ENUMERATION)
    for literal in rubric.anaphora:
        keys[literal.lower()].add(ANAPHORA)
    for literal in rubric.view_pointers:
        keys[literal.lower()].add(VIEW)
    for concept in rubric.concepts:
        for rule in [*concept.rules, *concept.contradicts]:
            for element in rule.elements():
                if not element.startswith("@"):
                    keys[element.lower()].add(element.lower())
    for term in rubric.terms:
        keys[term.lower()].add(term.lower())
    return keys


def _term_literals(rubric: Rubric) -> frozenset[str]:
    """The subject's own terms: the rubric's terms, key phrases and literal naming phrases.

    They are what a bare keyword list is made of; synonym groups (everyday words) are not.
    """
    out = {t.lower() for t in rubric.terms}
    for concept in rubric.concepts:
        out.update(p.lower() for p in concept.key_phrases)
        for rule in concept.rules:
            if rule.level == "named":
                out.update(e.lower() for e in rule.all + rule.any if not e.startswith("@") and len(e) >= 2)
    return frozenset(out)


# What is not a letter or digit (str.isalnum), and the underscore.
_NOT_ALNUM = re.compile(r"[\W_]+")


def alnum(text: str) -> str:
    """The letters and digits of ``text``, in order."""
    return _NOT_ALNUM.sub("", text)


def windows(chars: str, n: int) -> list[str]:
    """Every run of ``n`` consecutive characters of ``chars``, in order. (A list comprehension of
    slices: Python 3.11 specialises it, and it is nearly twice as fast as mapping ``slice`` objects.)"""
    return [chars[i : i + n] for i in range(len(chars) - n + 1)]


def bigrams(text: str) -> set[str]:
    return ngrams(text, 2)


def without_filler(chars: str) -> str:
    """``chars`` without the particle 的, which can be slipped between any two of the prompt's words
    ("提出需求的部门") to hide that they are the prompt's, nor the resumptive 它 ("上道工序,它的客户是下道工序"):
    pairs compared with the prompt's skip them."""
    return chars.replace("的", "").replace("它", "")


def ngrams(text: str, n: int) -> set[str]:
    """Character n-grams of the letters and digits of ``text``."""
    return set(windows(alnum(text), n))


def reference_docs(rubric: Rubric, segmenter: Segmenter) -> list[Doc]:
    """The rubric's reference answers as documents (what TF-IDF is fitted on at least)."""
    return [_doc(segmenter, ref) for ref in rubric.references]


def rubric_digest(rubric: Rubric) -> str:
    """A digest of everything the rubric says, stored with its calibration: a rule edited without a new
    version number still makes the calibration fitted before stale."""
    text = json.dumps(rubric.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def load_calibration(rubric: Rubric, path: Path | None) -> Calibration | None:
    """The calibration stored at ``path``, if it exists and was fitted for this rubric (its version and,
    when stored, its content) and this engine."""
    if path is None or not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RubricError([RubricProblem(str(path), "", "invalid_calibration", str(error))]) from None
    if data.get("rubric_version") != rubric.version or data.get("engine_version") != ENGINE_VERSION:
        log.warning(
            "ignoring %s: fitted for rubric %s / engine %s, now %s / %s",
            path,
            data.get("rubric_version"),
            data.get("engine_version"),
            rubric.version,
            ENGINE_VERSION,
        )
        return None
    if data.get("rubric_digest") not in (None, rubric_digest(rubric)):
        log.warning("ignoring %s: the rubric changed since it was fitted (same version %s)", path, rubric.version)
        return None
    try:
        calibration = Calibration.from_dict(data["model"])
    except (KeyError, TypeError, ValueError) as error:
        raise RubricError(
            [RubricProblem(str(path), "model", "invalid_calibration", f"unreadable: {error!r}")]
        ) from None
    if not calibration.matches({c.id: c.points for c in rubric.concepts}):
        log.warning("ignoring %s: fitted for other concepts or points", path)
        return None
    return calibration


def compile_rubric(
    rubric: Rubric, *, tfidf_file: Path | None = None, calibration_file: Path | None = None
) -> CompiledRubric:
    """Compile ``rubric``; use fitted TF-IDF statistics and a calibration from their files when present."""
    segmenter = Segmenter([*rubric.terms, *(p for c in rubric.concepts for p in c.key_phrases)])
    refs = reference_docs(rubric, segmenter)
    if tfidf_file is not None and tfidf_file.exists():
        data = json.loads(tfidf_file.read_text(encoding="utf-8"))
        tfidf = TfidfModel.from_dict(data["model"])
    else:
        tfidf = TfidfModel().fit([*refs, _doc(segmenter, rubric.prompt)])
    ref_sentence_docs = [
        Doc(tuple(segmenter.cut(s.text)), s.text) for ref in refs for s in split_sentences(ref.text) if len(s.text) >= 6
    ]
    negator = Negator().extended(rubric.negators, rubric.not_negating)
    rules = {c.id: tuple(CompiledRule.of(c.id, r) for r in c.rules) for c in rubric.concepts}
    triggers: dict[str, list[CompiledRule]] = defaultdict(list)
    for concept_rules in rules.values():
        for rule in concept_rules:
            for key in rule.triggers():
                triggers[key].append(rule)
    prompt = normalize(rubric.prompt).text
    index = _build_index(rubric)
    compiled = CompiledRubric(
        rubric=rubric,
        segmenter=segmenter,
        index=index,
        negator=negator,
        term_literals=_term_literals(rubric),
        tfidf=tfidf,
        reference_sentences=References.of(tfidf.transform(ref_sentence_docs).T.toarray()),
        references=References.of(tfidf.transform(refs).T.toarray()),
        prompt_ngrams=frozenset(ngrams(prompt, PROMPT_NGRAM)),
        prompt_bigrams=frozenset(windows(without_filler(alnum(prompt)), 2)),
        prompt_groups=frozenset(
            key for hit in index.find(prompt) for key in index.keys_by_literal[hit.literal] if key.startswith("@")
        ),
        rules=rules,
        contradicts={c.id: tuple(CompiledRule.of(c.id, r) for r in c.contradicts) for c in rubric.concepts},
        triggers={k: tuple(v) for k, v in triggers.items()},
        all_rules=tuple(r for concept_rules in rules.values() for r in concept_rules),
        calibration=load_calibration(rubric, calibration_file),
    )
    # The derived lookups are built here, once, not on the first answer each process grades.
    for name in (
        "concept_order",
        "contradicting",
        "_rule_order",
        "off_topic_groups",
        "wrong_topic_keys",
        "misreading_keys",
        "concrete_counted",
        "spanning_rules",
        "spanning_keys",
        "textbook_literals",
        "refuting_concepts",
        "excludes",
        "prompt_concepts",
    ):
        getattr(compiled, name)
    return compiled


def max_cosine(compiled: CompiledRubric, docs: list[Doc] | FeatureCounts, against: References) -> np.ndarray:
    """For each of ``docs``, its highest cosine with any of the ``against`` documents."""
    n_docs = docs.n_docs if isinstance(docs, FeatureCounts) else len(docs)
    if not n_docs or against.n_docs == 0:
        return np.zeros(n_docs)
    result: np.ndarray = np.clip(compiled.tfidf.similarity_matrix(docs, against).max(axis=1), 0.0, 1.0)
    return result
