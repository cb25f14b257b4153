"""Grade one answer against a compiled rubric: the one function every caller uses."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..text import NormalizedText
from .analysis import Analysis, analyse
from .calibration import Evidence as CalibrationEvidence
from .concepts import ConceptEvidence, holds_against, match_concepts
from .engine import ENGINE_VERSION, CompiledRubric, max_cosine
from .feedback import REVIEW_FLAGS, comment, flag_message
from .result import Adjustment, ConceptItem, Evidence, Flag, GradeResult, Status

__all__ = ["calibration_evidence", "grade"]

_OFF_TOPIC_MIN_HITS = 3
# Share of the sentences that touch concepts which, inside a story, make the answer that story's.
_STORY_SHARE = 0.5
# At most this many concepts named in one sentence: the candidate's own words, not terms crammed together.
_PLAIN_NAMING = 2


def _evidence(normalized: NormalizedText, analysis: Analysis, indices: list[int], role: str) -> list[Evidence]:
    out = []
    for i in indices[:3]:
        sentence = analysis.sentences[i].sentence
        start, end = normalized.span_to_original(sentence.start, sentence.end)
        out.append(Evidence(text=normalized.original[start:end], start=start, end=end, role=role))  # type: ignore[arg-type]
    return out


def _round_to_step(value: float, step: float) -> float:
    # Round half up on the step grid, then trim float noise so results are byte-stable.
    return round(math.floor(value / step + 0.5 + 1e-9) * step, 4)


def _similarity(compiled: CompiledRubric, analysis: Analysis) -> float:
    if analysis.relevant is None:
        return 0.0
    return round(float(max_cosine(compiled, analysis.relevant, compiled.references)[0]), 4)


def _flags(
    compiled: CompiledRubric,
    analysis: Analysis,
    evidence: dict[str, ConceptEvidence],
    similarity: float,
    *,
    rearranged: bool,
    denies_many: bool,
) -> list[Flag]:
    rubric = compiled.rubric
    flags: list[Flag] = []
    views = analysis.sentences
    if analysis.content == 0:
        return [Flag(code="empty", message=flag_message("empty"))]
    if analysis.content < rubric.expected_length.min:
        flags.append(
            Flag(
                code="too_short",
                message=flag_message("too_short", length=analysis.content, expected=rubric.expected_length.target),
            )
        )
    if analysis.keyword_list:
        flags.append(Flag(code="keyword_list", message=flag_message("keyword_list")))
    if rearranged or any(v.answer_copied for v in views):
        flags.append(Flag(code="copied_prompt", message=flag_message("copied_prompt")))
    repeated = [v for v in views if v.duplicate_of is not None]
    if len(repeated) >= 2 or (repeated and sum(v.content for v in repeated) / analysis.content >= 0.3):
        flags.append(Flag(code="repetitive", message=flag_message("repetitive")))
    if _off_topic(compiled, analysis, evidence, similarity):
        flags.append(Flag(code="off_topic", message=flag_message("off_topic")))
    contradicted = [
        e.concept.title for e in evidence.values() if e.contradicted or (denies_many and (e.against or e.negated_in))
    ]
    if contradicted:
        flags.append(
            Flag(code="contradiction", message=flag_message("contradiction", concepts="、".join(contradicted)))
        )
    return flags


def _rearranged(compiled: CompiledRubric, analysis: Analysis, evidence: dict[str, ConceptEvidence]) -> bool:
    """Whether the whole answer is the prompt's words rearranged: most of its character pairs are the
    prompt's and it explains nothing the prompt does not already state."""
    if analysis.prompt_share < compiled.rubric.settings.rearranged_prompt_share:
        return False
    beyond = {cid for cid, e in evidence.items() if e.level == "explained"} - compiled.prompt_concepts
    return not beyond


def _affirmed(item: ConceptEvidence) -> bool:
    """Whether a concept is explained by a sentence in which no rule of it is negated."""
    doubted = {*item.negated_in, *item.against}
    return item.level == "explained" and any(i not in doubted for i in item.support)


def _argues_against(compiled: CompiledRubric, evidence: dict[str, ConceptEvidence]) -> bool:
    """Whether the answer denies so many concepts that it argues against the question. A concept it
    explains in a sentence that denies nothing of it is not denied by a negation elsewhere near its
    words ("才不会该做的不做、该要的不敢要")."""
    denied = sum(1 for e in evidence.values() if (e.against or e.negated_in) and not _affirmed(e))
    return denied >= compiled.rubric.settings.denied_concepts_limit


def _off_topic(
    compiled: CompiledRubric, analysis: Analysis, evidence: dict[str, ConceptEvidence], similarity: float
) -> bool:
    rubric = compiled.rubric
    settings = rubric.settings
    if analysis.keyword_list or any(v.copied for v in analysis.sentences):
        return False  # those answers get their own flag
    explained = sum(1 for e in evidence.values() if e.level == "explained" or e.capped)
    hits = analysis.off_topic_hits
    stories = set(rubric.story_topics)
    # A wrong reading of the question (CRM software, culture layers): what a sentence of it happens to
    # explain does not put the answer on topic.
    misread = sum(len(found) for group, found in hits.items() if group not in stories)
    if misread >= _OFF_TOPIC_MIN_HITS:
        misreading = compiled.misreading_keys
        apart = sum(
            1
            for e in evidence.values()
            if (e.level == "explained" or e.capped)
            and any(not any(key in analysis.sentences[i].keys for key in misreading) for i in e.support)
        )
        if misread > 2 * apart:
            return True
    # A story: off topic when it outweighs every concept the answer touches, or when the sentences that
    # touch concepts are mostly the story's own (terms scattered through it, not a passage beside it).
    told = sum(len(found) for group, found in hits.items() if group in stories)
    if told:
        touched = [e for e in evidence.values() if e.level is not None]
        if told + misread >= _OFF_TOPIC_MIN_HITS and told + misread > 2 * len(touched):
            return True
        support = {i for e in touched for i in e.support}
        wrong = compiled.wrong_topic_keys
        inside = sum(1 for i in support if any(key in analysis.sentences[i].keys for key in wrong))
        if told >= 2 and support and inside >= _STORY_SHARE * len(support):
            return True
    # An answer that names the kinds of something ("X分为A、B、C") is about the question, if little more;
    # so is one with no word of a wrong reading that names a concept in a sentence of its own words, not
    # in a sentence crammed with terms ("内部客户关系就是大家互相配合": weak, but on the question).
    return (
        explained == 0
        and not analysis.enumerated
        and not (misread == 0 and _names_a_concept_plainly(evidence))
        and similarity < settings.on_topic_similarity
    )


def _names_a_concept_plainly(evidence: dict[str, ConceptEvidence]) -> bool:
    """Whether a concept is named in a sentence that names at most two concepts."""
    per_sentence: dict[int, int] = {}
    for item in evidence.values():
        if item.level is not None:
            for i in set(item.support):
                per_sentence[i] = per_sentence.get(i, 0) + 1
    return any(
        item.level == "named" and any(per_sentence[i] <= _PLAIN_NAMING for i in item.support)
        for item in evidence.values()
    )


@dataclass(frozen=True)
class _Reading:
    """Everything the rules found in one answer, before points are given."""

    analysis: Analysis
    evidence: dict[str, ConceptEvidence]
    similarity: float
    flags: list[Flag]
    levels: dict[str, str | None]  # effective level per concept after guards
    discussion: int  # see _discussion


def _discussion(compiled: CompiledRubric, analysis: Analysis, evidence: dict[str, ConceptEvidence]) -> int:
    """The sentences that discuss the subject in everyday words without supporting any concept: two or
    more of the rubric's word groups, no textbook term (a term the rules did not credit was not
    explained), nothing of a wrong topic, and no rule of any concept matched, denied or negated in it.
    Markers credit points made in plain words that the rules cannot place; calibration learns how much
    such sentences are worth."""
    placed = {i for e in evidence.values() for i in (*e.support, *e.against, *e.negated_in)}
    textbook, wrong = compiled.textbook_literals, compiled.off_topic_groups
    count = 0
    for view in analysis.sentences:
        if not view.eligible or view.list_like or view.copied or view.sentence.index in placed:
            continue
        if any(hit.literal in textbook or hit.literal in wrong for hit in view.hits):
            continue
        if sum(1 for key in view.keys if key.startswith("@")) >= 2:
            count += 1
    return count


def _read(compiled: CompiledRubric, answer: str) -> _Reading:
    analysis = analyse(compiled, answer)
    evidence = match_concepts(compiled, analysis)
    similarity = _similarity(compiled, analysis)
    rearranged = _rearranged(compiled, analysis, evidence)
    denies_many = _argues_against(compiled, evidence)
    flags = _flags(compiled, analysis, evidence, similarity, rearranged=rearranged, denies_many=denies_many)
    withheld = bool({f.code for f in flags} & {"empty", "off_topic"}) or denies_many or rearranged
    levels: dict[str, str | None] = {
        cid: None if withheld or item.contradicted else item.level for cid, item in evidence.items()
    }
    return _Reading(analysis, evidence, similarity, flags, levels, _discussion(compiled, analysis, evidence))


def calibration_evidence(compiled: CompiledRubric, answer: str) -> CalibrationEvidence:
    """The evidence calibration learns from, for one answer."""
    return _evidence_of(compiled, _read(compiled, answer))


def _evidence_of(compiled: CompiledRubric, reading: _Reading) -> CalibrationEvidence:
    target = compiled.rubric.expected_length.target
    return CalibrationEvidence(
        levels=reading.levels,
        similarity=reading.similarity,
        length_ratio=reading.analysis.relevant_content / target,
        discussion=reading.discussion,
        depth={cid: len(set(item.support)) for cid, item in reading.evidence.items() if reading.levels[cid]},
        one_way=_one_way(reading),
    )


def _one_way(reading: _Reading) -> frozenset[str]:
    """Concepts the answer shows only the way a view the guide calls wrong sees them: explained and
    capped, or named while the answer holds the view that caps them ("下级的本分就是让上级满意")."""
    evidence = reading.evidence
    return frozenset(
        cid
        for cid, item in evidence.items()
        if reading.levels[cid] and (item.capped or holds_against(evidence, item.concept.capped_by))
    )


def grade(compiled: CompiledRubric, answer: str) -> GradeResult:
    """Grade ``answer``; the same answer and rubric version always give the same result."""
    rubric = compiled.rubric
    settings = rubric.settings
    reading = _read(compiled, answer)
    analysis, evidence, similarity, flags = reading.analysis, reading.evidence, reading.similarity, reading.flags
    codes = {f.code for f in flags}
    calibration = compiled.calibration
    calibrated_points, rest = (
        calibration.predict_parts(_evidence_of(compiled, reading)) if calibration is not None else ({}, 0.0)
    )

    items: list[ConceptItem] = []
    met: list[str] = []
    partial: list[str] = []
    missing: list[str] = []
    for concept in rubric.concepts:
        item = evidence[concept.id]
        level = reading.levels[concept.id]
        status: Status = "missing"
        points = 0.0
        if level == "explained":
            status, points = "met", concept.points
        elif level == "named":
            status, points = "partial", concept.points * settings.partial_credit
        if calibration is not None and status != "missing":
            points = min(max(calibrated_points[concept.id], 0.0), concept.points)
        {"met": met, "partial": partial, "missing": missing}[status].append(concept.title)
        shown = _evidence(analysis.normalized, analysis, item.support, "support") if status != "missing" else []
        if item.contradicted:
            shown += _evidence(analysis.normalized, analysis, item.against, "against")
        items.append(
            ConceptItem(
                concept_id=concept.id,
                title=concept.title,
                status=status,
                points=round(points, 2),
                max_points=concept.points,
                evidence=shown,
                hint=None if status == "met" else concept.hint,
                contradicted=item.contradicted,
            )
        )

    item_total = sum(i.points for i in items)
    raw = item_total
    if item_total == 0:
        raw = 0.0  # no evidence, no points: nothing else can lift an answer that shows nothing
    elif calibration is not None:
        raw = item_total + rest
    elif settings.similarity_weight:
        raw = (1 - settings.similarity_weight) * item_total + settings.similarity_weight * rubric.max_score * similarity
    score = min(max(_round_to_step(raw, settings.score_step), 0.0), rubric.max_score)
    adjustment = None
    if abs(score - item_total) > 1e-9:
        if calibration is not None:
            counted = min(reading.discussion, calibration.max_discussion)
            basis = f"相似度、作答长度和 {counted} 句未归入要点的相关论述" if counted else "相似度和作答长度"
            reason = f"按人工评分校准:结合与参考答案的{basis}的整体调整,并按得分步长取整"
        elif settings.similarity_weight:
            reason = "结合与参考答案的相似度调整并取整"
        else:
            reason = "按得分步长取整"
        adjustment = Adjustment(points=round(score - item_total, 4), reason=reason)
    return GradeResult(
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        engine_version=ENGINE_VERSION,
        score=score,
        max_score=rubric.max_score,
        items=items,
        similarity=similarity,
        flags=flags,
        needs_review=bool(codes & REVIEW_FLAGS),
        comment=comment(score=score, max_score=rubric.max_score, met=met, partial=partial, missing=missing),
        adjustment=adjustment,
        length=analysis.content,
        expected_length=rubric.expected_length.target,
    )
