"""The rubric file format, as a pydantic schema.

A rubric is plain data (YAML): the question's prompt, its concepts with points, the rules
that recognise each concept in a sentence, hints, reference answers and domain terms. The
engine in :mod:`service.scoring` applies it; nothing about a particular question lives in
code.

Rule elements are strings: a literal phrase (``"互为供方"``), which may hold one gap (``"我们…车间"``:
a few letters or digits may stand between its parts), or a reference to a named synonym group of the
rubric's ``lexicon`` (``"@superior"``).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "GAP",
    "Concept",
    "ExpectedLength",
    "Rubric",
    "RubricSettings",
    "Rule",
]

_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"
# Stands for the gap of a phrase that may hold a few letters or digits between its two parts
# ("我们…车间" finds 我们冲压车间; at most `settings.phrase_gap` of them).
GAP = "…"


def _one_gap(element: str) -> str:
    if GAP in element:
        first, _, second = element.partition(GAP)
        if not first or not second or GAP in second or first.startswith("@"):
            raise ValueError(f"“{GAP}”只能用在词语中间、每个词语至多一处(如 我们{GAP}车间),不能用在词组引用中")
    return element


Element = Annotated[str, Field(min_length=1, max_length=60), AfterValidator(_one_gap)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Strict):
    """A pattern that matches one sentence.

    Every element of ``all`` must occur in the sentence, at least one of ``any`` (when
    given), at least one of ``about`` (when given), and none of ``none``. A match inside the
    scope of a negator (不, 并非, 不是 …) does not count and, for a concept, is evidence of the
    opposite. ``level`` says what a match shows: ``named`` (the idea is named; half credit
    before calibration) or ``explained`` (the idea is stated with its meaning; full credit). A
    ``refutes`` rule
    recognises a view stated in order to be rejected; see :attr:`refutes`.
    """

    level: Literal["named", "explained"] = "explained"
    all: list[Element] = Field(default_factory=list)
    any: list[Element] = Field(default_factory=list)
    none: list[Element] = Field(default_factory=list)
    # What the sentence must be about ("@subject": the people and units at work): one of these must
    # occur. Unlike ``all`` and ``any`` it is no part of the statement: a negator before it denies
    # nothing and it does not mark where a refuted view starts.
    about: list[Element] = Field(default_factory=list)
    # How many consecutive sentences the rule may gather its elements from: a relation stated
    # across sentences ("队长派活时他是我的客户。……那时候我就是他的客户。"). Only sentences that may
    # earn points and report no one else's view take part; a negated element does not count.
    span: Annotated[int, Field(ge=1, le=3)] = 1
    # How many concrete words the sentence must hold: words the rubric does not know that are rarer
    # than `settings.concrete_frequency` in the segmenter's dictionary (扫描枪, 吊篮, 面单). An
    # example from one's work names the things of that work; a general statement ("我们要让上级满意")
    # is made of the subject's own words.
    concrete: Annotated[int, Field(ge=0, le=20)] = 0
    negatable: bool = True
    # The sentence states a view in order to reject it ("把……理解成……是片面的"): the view it reports
    # is not the candidate's, so the other concepts it touches are named at most.
    refutes: bool = False
    # Only in `contradicts`: the opposite counts even in a sentence that also earns the concept
    # ("为同事服务是我的义务,但我没有权利要求别人"): that sentence names the concept at most and denies
    # it, so the concept is contradicted (no credit, flagged) unless another sentence explains it.
    # Without it, a sentence that earns the concept is taken to quote the opposite (as a critique
    # quotes the view it rejects).
    overrides: bool = False

    @model_validator(mode="after")
    def _needs_something(self) -> Rule:
        if not self.all and not self.any:
            raise ValueError("规则须在 all 或 any 中至少列出一项")
        return self

    def elements(self) -> list[str]:
        return [*self.all, *self.any, *self.none, *self.about]


class Concept(_Strict):
    """One thing a good answer shows, worth ``points``."""

    id: Annotated[str, Field(pattern=_ID)]
    title: Annotated[str, Field(min_length=1, max_length=80)]
    points: Annotated[float, Field(gt=0, le=100)]
    hint: Annotated[str, Field(min_length=1, max_length=300)]
    rules: Annotated[list[Rule], Field(min_length=1)]
    contradicts: list[Rule] = Field(default_factory=list)
    # Phrases that give the concept away; a hint must not contain them.
    key_phrases: list[Element] = Field(default_factory=list)
    # Concepts whose contradiction voids this one (the answer argues against its premise).
    excluded_by: list[Annotated[str, Field(pattern=_ID)]] = Field(default_factory=list)
    # Concepts whose contradiction caps this one at `named`: an answer that argues for the view
    # the guide calls wrong shows this idea in one direction only.
    capped_by: list[Annotated[str, Field(pattern=_ID)]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _overrides_only_in_contradicts(self) -> Concept:
        if any(rule.overrides for rule in self.rules):
            raise ValueError("overrides 只能用于 contradicts 中的规则")
        return self


class ExpectedLength(_Strict):
    """Expected answer length in characters of text (punctuation and spaces not counted)."""

    min: Annotated[int, Field(ge=0)] = 30
    target: Annotated[int, Field(ge=1)] = 300

    @model_validator(mode="after")
    def _ordered(self) -> ExpectedLength:
        if self.min > self.target:
            raise ValueError("min 不得大于 target")
        return self


class RubricSettings(_Strict):
    """Per-rubric knobs of the engine, with defaults that suit essay questions."""

    show_score_to_students: bool = True
    score_step: Annotated[float, Field(gt=0, le=1)] = 0.5
    partial_credit: Annotated[float, Field(ge=0, le=1)] = 0.5
    similarity_weight: Annotated[float, Field(ge=0, le=0.5)] = 0.0
    max_concepts_per_sentence: Annotated[int, Field(ge=1)] = 3
    # Below this many characters per concept, a sentence touching more concepts than the cap is crammed.
    crammed_chars_per_concept: Annotated[int, Field(ge=1)] = 15
    # An answer that denies this many concepts argues against the question: it earns nothing.
    denied_concepts_limit: Annotated[int, Field(ge=1)] = 3
    # A sentence of at most this many characters of text that opens a topic ("部门之间也一样。")
    # lends its words to the next sentence, which says what it means; 0 turns this off.
    lead_in_chars: Annotated[int, Field(ge=0)] = 0
    # A word of the rubric's `anaphora` starting within this many characters of a sentence's start
    # makes the previous sentence lend its words to it, whatever its length; 0 turns this off.
    anaphora_window: Annotated[int, Field(ge=0)] = 3
    # In a phrase with a gap ("我们…车间"), how many letters or digits may stand in the gap.
    phrase_gap: Annotated[int, Field(ge=0, le=20)] = 6
    on_topic_similarity: Annotated[float, Field(ge=0, le=1)] = 0.12
    # A word rarer than this in the segmenter's base dictionary, and unknown to the rubric, is concrete
    # (see Rule.concrete). jieba's frequencies: 工作 ~ 180,000, 部门 ~ 20,000, 传送带 ~ 60.
    concrete_frequency: Annotated[int, Field(ge=1)] = 3000
    copied_prompt_overlap: Annotated[float, Field(gt=0, le=1)] = 0.6
    # An answer with at least this share of its character pairs taken from the prompt, explaining no
    # concept beyond those the prompt itself states, is the prompt rearranged: it earns nothing.
    rearranged_prompt_share: Annotated[float, Field(gt=0, le=1)] = 0.65
    keyword_density: Annotated[float, Field(gt=0, le=1)] = 0.75
    repeated_sentence_similarity: Annotated[float, Field(gt=0, le=1)] = 0.8


class Rubric(_Strict):
    """A question with its marking guide, as the engine needs it."""

    id: Annotated[str, Field(pattern=_ID)]
    version: Annotated[str, Field(min_length=1, max_length=40)]
    title: Annotated[str, Field(min_length=1, max_length=120)]
    prompt: Annotated[str, Field(min_length=1)]
    max_score: Annotated[float, Field(gt=0, le=1000)]
    expected_length: ExpectedLength = Field(default_factory=ExpectedLength)
    concepts: Annotated[list[Concept], Field(min_length=1)]
    references: Annotated[list[Annotated[str, Field(min_length=10)]], Field(min_length=1)]
    terms: list[Element] = Field(default_factory=list)
    lexicon: dict[str, Annotated[list[Element], Field(min_length=1)]] = Field(default_factory=dict)
    off_topic: dict[str, Annotated[list[Element], Field(min_length=1)]] = Field(default_factory=dict)
    # The `off_topic` groups that are stories terms get dropped into (an outing, family life) rather
    # than a wrong reading of the question (CRM software): a story is padding around whatever the
    # answer explains, so it makes the answer off topic only when the concepts sit in the story.
    story_topics: list[str] = Field(default_factory=list)
    reported_speech: list[Element] = Field(default_factory=list)
    # Phrases that open a sentence by pointing back at what the previous one said as a view
    # ("这种理解", "这种看法"): when that sentence makes the critique (a concept with `refutes`
    # rules), the previous sentence stated the view to reject it and earns nothing else.
    view_pointers: list[Element] = Field(default_factory=list)
    # Phrases that announce a classification ("分为", "包括"): a sentence with one that names two
    # or more concepts (at most `max_concepts_per_sentence`) names them, even written as a list.
    enumeration_markers: list[Element] = Field(default_factory=list)
    # Words that refer back to the previous sentence ("这时", "他们", "反过来"): a sentence opening with
    # one may use the previous sentence's words to explain a concept (see `anaphora_window`).
    anaphora: list[Element] = Field(default_factory=list)
    # Words whose homophone misspellings (客护 for 客户, 工续 for 工序) still match, inside any phrase.
    typo_tolerant: list[Element] = Field(default_factory=list)
    # Words that speech or dialect writes differently (咱们 or 俺们 for 我们): every phrase of the
    # rubric that holds the word also matches written with each of its variants.
    spoken_variants: dict[Element, list[Element]] = Field(default_factory=dict)
    negators: list[Element] = Field(default_factory=list)
    not_negating: list[Element] = Field(default_factory=list)
    settings: RubricSettings = Field(default_factory=RubricSettings)

    @field_validator("lexicon", "off_topic")
    @classmethod
    def _group_names(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for name in value:
            if not re.match(_ID, name):
                raise ValueError(f"词组名 {name!r} 只能由小写字母、数字、_ 或 - 组成")
        return value

    def concept(self, concept_id: str) -> Concept:
        for concept in self.concepts:
            if concept.id == concept_id:
                return concept
        raise KeyError(concept_id)
