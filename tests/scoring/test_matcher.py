"""Concept matching, sentence by sentence: synonyms, same-sentence rules, negation."""

from __future__ import annotations

from service.scoring import CompiledRubric, grade


def _status(compiled: CompiledRubric, answer: str, concept: str) -> str:
    return next(i.status for i in grade(compiled, answer).items if i.concept_id == concept)


def test_negation_cancels_a_match_and_is_flagged(ic: CompiledRubric) -> None:
    result = grade(ic, "我认为内部客户关系不是相互的,上级永远是客户。")
    item = next(i for i in result.items if i.concept_id == "reciprocity")
    assert item.status == "missing" and item.points == 0
    assert item.contradicted
    assert "contradiction" in {f.code for f in result.flags}


def test_negation_scope_ends_at_contrast(ic: CompiledRubric) -> None:
    assert _status(ic, "内部客户关系不是单向的,而是相互的,双方互为客户、互为供方。", "reciprocity") == "met"


def test_all_of_rule_needs_its_parts_in_the_same_sentence(waste: CompiledRubric) -> None:
    together = "我家把厨余垃圾和其他垃圾分开投放。"
    apart = "我家很干净。厨余垃圾分开放。"
    assert _status(waste, together, "action") == "met"
    assert _status(waste, apart, "action") == "missing"


def test_synonyms_count_once(ic: CompiledRubric) -> None:
    once = grade(ic, "领导给员工安排任务,领导就是员工的客户。")
    many = grade(ic, "领导、上级、主管、经理给员工、下属、下级安排任务,领导、上级、主管就是员工的客户。")
    rank_once = next(i for i in once.items if i.concept_id == "rank")
    rank_many = next(i for i in many.items if i.concept_id == "rank")
    assert rank_once.status == rank_many.status == "met"
    assert rank_once.points == rank_many.points


def test_a_question_asserts_nothing(ic: CompiledRubric) -> None:
    assert _status(ic, "上级和下级是不是互为客户、互为供方呢?", "reciprocity") == "missing"


def test_evidence_offsets_point_into_the_submitted_text(ic: CompiledRubric) -> None:
    answer = "　前言。\n內部客戶關係是相互的，上級與下級互為客戶、互為供方。"
    result = grade(ic, answer)
    item = next(i for i in result.items if i.concept_id == "reciprocity")
    assert item.evidence
    for ev in item.evidence:
        assert answer[ev.start : ev.end] == ev.text
        assert "互為供方" in ev.text


def test_a_second_rubric_on_another_topic_works_without_code(waste: CompiledRubric) -> None:
    answer = "生活垃圾分为可回收物、有害垃圾、厨余垃圾和其他垃圾四类。分类能减少污染,节约资源。我家每天都分开投放。"
    result = grade(waste, answer)
    assert result.rubric_id == "waste-sorting"
    assert result.score == result.max_score == 6
    assert all(i.status == "met" for i in result.items)
