"""Expected behaviour on our own example answers of each kind the product must handle."""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from service.scoring import CompiledRubric, GradeResult, calibration_evidence, grade
from service.scoring.analysis import _Repeats, analyse, content_length
from service.scoring.calibration import OVERALL, Calibration
from service.scoring.calibration import Evidence as CalibrationEvidence

EXAMPLES: dict[str, str] = yaml.safe_load((Path(__file__).parents[1] / "data/examples.yaml").read_text("utf-8"))
GIVEAWAYS = ["职级客户", "职能客户", "工序客户", "互为供方", "片面"]


def _grade(ic: CompiledRubric, kind: str) -> GradeResult:
    return grade(ic, EXAMPLES[kind])


def _flags(result: GradeResult) -> set[str]:
    return {f.code for f in result.flags}


def _statuses(result: GradeResult) -> dict[str, str]:
    return {i.concept_id: i.status for i in result.items}


def test_complete_answer_scores_at_least_85_percent(ic: CompiledRubric) -> None:
    result = _grade(ic, "complete")
    assert result.score >= 0.85 * result.max_score
    assert not result.needs_review


def test_plain_words_answer_scores_at_least_60_percent(ic: CompiledRubric) -> None:
    result = _grade(ic, "plain")
    assert result.score >= 0.6 * result.max_score


@pytest.mark.parametrize("kind", ["crm", "culture"])
def test_off_topic_answers_score_low_and_are_flagged(ic: CompiledRubric, kind: str) -> None:
    result = _grade(ic, kind)
    assert result.score <= 0.15 * result.max_score
    assert "off_topic" in _flags(result)
    assert result.needs_review


def test_keyword_list_scores_low_and_is_flagged(ic: CompiledRubric) -> None:
    result = _grade(ic, "keyword_list")
    assert result.score <= 0.25 * result.max_score
    assert "keyword_list" in _flags(result)


def test_copied_prompt_scores_low_and_is_flagged(ic: CompiledRubric) -> None:
    result = _grade(ic, "copied_prompt")
    assert result.score <= 0.2 * result.max_score
    assert "copied_prompt" in _flags(result)


def test_traditional_twin_grades_like_its_simplified_original(ic: CompiledRubric) -> None:
    trad, simp = _grade(ic, "traditional_source"), _grade(ic, "simplified_twin")
    assert simp.score > 0
    assert abs(trad.score - simp.score) <= 0.05 * simp.max_score
    assert [i.status for i in trad.items] == [i.status for i in simp.items]


@pytest.mark.parametrize(
    "spelling",
    [
        lambda t: t.replace("。", "．"),  # full-width full stops (the whole answer read as one sentence)
        lambda t: t.replace("。", "．") + "\u200b",  # and an invisible character that took another path
        lambda t: t.replace("。", "．", 3).replace("，", "，\r\n", 2),  # with Windows line breaks
    ],
)
def test_the_same_answer_in_other_spellings_grades_the_same(ic: CompiledRubric, spelling: object) -> None:
    """Punctuation and line breaks as other keyboards and systems type them change no grade."""
    text = EXAMPLES["complete"].replace("\n", "")
    other = spelling(text)  # type: ignore[operator]
    assert other != text
    base, again = grade(ic, text), grade(ic, other)
    assert again.score == base.score and again.flags == base.flags
    assert [(i.status, i.points) for i in again.items] == [(i.status, i.points) for i in base.items]
    for item in again.items:
        for evidence in item.evidence:
            assert other[evidence.start : evidence.end] == evidence.text


@pytest.mark.parametrize("answer", ["", "   \n ", "。。。"])
def test_empty_answer_scores_zero_with_flag(ic: CompiledRubric, answer: str) -> None:
    result = grade(ic, answer)
    assert result.score == 0
    assert _flags(result) == {"empty"}
    assert all(i.status == "missing" and i.hint for i in result.items)


def test_too_short_is_flagged(ic: CompiledRubric) -> None:
    result = grade(ic, "不知道")
    assert result.score == 0
    assert "too_short" in _flags(result)


def test_repeated_sentence_earns_once_and_is_flagged(ic: CompiledRubric) -> None:
    sentence = "上级给下级安排任务,上级就是下级的客户。"
    once = grade(ic, sentence)
    repeated = grade(ic, sentence * 6)
    assert repeated.score == once.score
    assert "repetitive" in _flags(repeated)


def test_padding_does_not_change_the_score(ic: CompiledRubric) -> None:
    padding = "周末我们一家去公园散步,天气晴朗,孩子们放风筝,大家都很开心。" * 5
    base = _grade(ic, "complete")
    padded = grade(ic, padding + EXAMPLES["complete"] + padding)
    assert padded.score == base.score


def test_points_add_up_to_the_score_or_the_adjustment_says_so(ic: CompiledRubric) -> None:
    for answer in EXAMPLES.values():
        result = grade(ic, answer)
        total = sum(i.points for i in result.items)
        shift = result.adjustment.points if result.adjustment else 0.0
        assert abs(total + shift - result.score) < 1e-9
        assert 0 <= result.score <= result.max_score


def test_hints_point_at_what_is_missing_without_giving_it_away(ic: CompiledRubric) -> None:
    result = grade(ic, "不知道")
    for item in result.items:
        assert item.hint
        assert not any(word in item.hint for word in GIVEAWAYS)


def test_feedback_is_in_chinese(ic: CompiledRubric) -> None:
    result = _grade(ic, "plain")
    assert "得分" in result.comment
    for flag in _grade(ic, "crm").flags:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in flag.message)


def test_deterministic_byte_for_byte_across_processes(ic: CompiledRubric) -> None:
    answer = EXAMPLES["plain"]
    here = json.dumps(grade(ic, answer).model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
    code = (
        "import json,sys;from service.registry import RubricRegistry;"
        "r=RubricRegistry.from_dir(sys.argv[1]).grade('internal-customer', sys.stdin.read());"
        "print(json.dumps(r.model_dump(mode='json'), ensure_ascii=False, sort_keys=True))"
    )
    rubrics = str(Path(__file__).parents[2] / "rubrics")
    out = subprocess.run(
        [sys.executable, "-c", code, rubrics], input=answer, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == here


def test_similarity_is_high_for_a_good_answer_and_low_off_topic(ic: CompiledRubric) -> None:
    good, off = _grade(ic, "complete"), _grade(ic, "crm")
    assert good.similarity > 0.3
    assert off.similarity < 0.2 < good.similarity


def test_an_answer_denying_every_point_earns_nothing(ic: CompiledRubric) -> None:
    result = _grade(ic, "opposite")
    assert result.score <= 1
    assert "contradiction" in _flags(result)
    assert result.needs_review


def test_homophone_typos_grade_like_the_correct_spelling(ic: CompiledRubric) -> None:
    correct = (
        "在公司里接手我工作的同事就是我的客户。下道工序是上道工序的客户。"
        "上下级之间是相互的,领导给我指导,我也是领导的客户。"
    )
    typed = (
        "在公司里接手我工作的同事就是我的客护。下道工续是上道工续的客护。"
        "上下级之间是相乎的,领导给我只导,我也是领导的客护。"
    )
    good, typo = grade(ic, correct), grade(ic, typed)
    assert good.score > 0
    assert [i.status for i in typo.items] == [i.status for i in good.items]
    assert abs(good.score - typo.score) <= 0.5


def test_content_length_counts_letters_only() -> None:
    assert content_length("内部客户😀是相互的。") == 8
    assert content_length("👨‍👩‍👧 1. 上级→下级 ① ★") == 4
    assert content_length("QA 部门") == 4


def test_repeats_found_through_the_index_match_comparing_every_pair() -> None:
    """The first earlier sentence with bigram Jaccard >= threshold, as a plain pairwise scan finds it."""

    def pairwise_first(grams: set[str], earlier: list[set[str]], threshold: float) -> int | None:
        for i, other in enumerate(earlier):
            if grams and other and len(grams & other) / len(grams | other) >= threshold:
                return i
        return None

    rng = random.Random(7)
    alphabet = "内部客户上下级工序职能相互服务"
    for threshold in (0.5, 0.75, 0.8, 1.0):
        repeats, earlier = _Repeats(threshold), []
        for _ in range(300):
            if earlier and rng.random() < 0.3:  # a near or exact repeat of an earlier sentence
                grams = set(rng.choice(earlier))
                if grams and rng.random() < 0.5:
                    grams.discard(rng.choice(sorted(grams)))
            else:
                grams = {rng.choice(alphabet) + rng.choice(alphabet) for _ in range(rng.randrange(0, 12))}
            assert repeats.add(grams) == pairwise_first(grams, earlier, threshold)
            earlier.append(grams)


def test_an_answer_of_many_sentences_grades_in_linear_time(ic: CompiledRubric) -> None:
    """Hundreds of sentences near the length limit: the repeat check must not compare every pair."""
    sentences = [f"第{i}条：内部客户关系是相互的，编号{i * 7919 % 10007}。" for i in range(700)]
    result = grade(ic, "".join(sentences))
    assert "repetitive" in {f.code for f in result.flags}


def test_a_sentence_with_grammatical_words_inside_its_naming_phrases_is_no_keyword_list(ic: CompiledRubric) -> None:
    """ "是" and "的" inside a naming phrase still make a sentence: it is graded, not flagged as a list."""
    result = grade(ic, "内部客户关系是相互的。")
    assert "keyword_list" not in {f.code for f in result.flags}
    assert result.score > 0
    bare = grade(ic, "内部客户 相互的 职级客户 工序客户")
    assert "keyword_list" in {f.code for f in bare.flags}


def test_everyday_words_one_per_line_are_a_keyword_list(ic: CompiledRubric) -> None:
    """A column of the rubric's words, most of them everyday ones (部门, 服务, 领导…), one or two to a
    line with no grammatical word between them, is a bare list: flagged, and it earns nothing."""
    column = "\n".join(["互为供方", "义务权利", "领导下属", "前后道", "部门", "服务", "配合", "需求"])
    result = grade(ic, column)
    assert "keyword_list" in {f.code for f in result.flags}
    assert result.score == 0
    # Short lines that say something are sentences, not list entries.
    said = grade(ic, "领导要结果。\n我要资源。\n所以是互相的。\n部门之间也一样。")
    assert "keyword_list" not in {f.code for f in said.flags}
    assert said.score > 0


def test_the_prompts_relation_turned_round_is_no_copy_of_the_prompt(ic: CompiledRubric) -> None:
    """Made of the prompt's words, but saying what the prompt does not: the relation runs both ways."""
    result = grade(ic, "上级是下级的客户，下级也是上级的客户。")
    assert "copied_prompt" not in {f.code for f in result.flags}
    assert _statuses(result)["reciprocity"] != "missing"
    rearranged = grade(ic, "在工作中，下级的客户是上级，上道工序的客户是下道工序，提供服务部门的客户是提出需求部门。")
    assert "copied_prompt" in {f.code for f in rearranged.flags}


def test_plain_discussion_no_rule_places_is_counted_for_calibration(ic: CompiledRubric) -> None:
    """Markers credit points made in everyday words that the rules cannot place; calibration learns
    what such sentences are worth. Counted: a sentence relating two or more of the rubric's word
    groups that supports, denies and negates no concept. Not counted: the sentence a rule placed, one
    holding a textbook term, one about a wrong topic, a question, a repeat, small talk."""
    placed = "上级给下级布置任务，要求按时完成，这时上级是下级的客户。"
    plain = ["同事之间要多沟通、多配合，工作才能顺。", "有了难处，大家商量着来，别互相埋怨。"]
    not_counted = [
        "职能客户这个说法我以前听过。",
        "客户关系管理系统能帮销售部门跟进客户。",
        "同事之间要多沟通吗？",
        plain[0],
        "今天天气很好，大家心情都不错。",
    ]
    assert calibration_evidence(ic, placed).discussion == 0
    assert calibration_evidence(ic, placed + "".join(plain) + "".join(not_counted)).discussion == 2
    # The stored calibration gives them weight, and the adjustment says how many it counted.
    assert ic.calibration is not None and ic.calibration.coef_[OVERALL.index("discussion")] > 0
    result = grade(ic, placed + "".join(plain))
    assert result.adjustment is not None and "2 句未归入要点的相关论述" in result.adjustment.reason
    assert result.score > grade(ic, placed).score


def test_a_calibration_stored_before_the_discussion_feature_gives_it_no_weight() -> None:
    evidence = [
        CalibrationEvidence({"a": lvl}, similarity=0.1 * n, length_ratio=0.2 * n, discussion=n % 3)
        for n, lvl in enumerate(["named", "explained", None] * 5)
    ]
    scores = [1.0 + 0.5 * (e.levels["a"] is not None) + 0.8 * e.discussion for e in evidence]
    fitted = Calibration({"a": 2.0}).fit(evidence, scores)
    assert fitted.coef_[OVERALL.index("discussion")] > 0.5
    assert Calibration.from_dict(fitted.to_dict()).predict(evidence).tolist() == fitted.predict(evidence).tolist()
    old = fitted.to_dict()
    old["overall"] = {"features": list(OVERALL[:3]), "coef": fitted.coef_[:3], "intercept": fitted.intercept_}
    del old["params"]["max_discussion"]
    loaded = Calibration.from_dict(old)
    assert loaded.coef_ == [*fitted.coef_[:3], 0.0]


def test_a_concept_explained_in_several_sentences_is_weighed_apart_from_one_explained_once(ic: CompiledRubric) -> None:
    """Markers give a point explained in one sentence about four fifths of its points and one developed
    over two or more sentences nearly all: calibration learns the two apart, per concept."""
    once = "上级给下级布置任务，要求按时完成，这时上级是下级的客户。"
    twice = once + "领导要看到结果，下属交上去的报告就得让他满意，所以领导是我们的客户。"
    assert calibration_evidence(ic, once).step("rank") == "explained"
    assert calibration_evidence(ic, twice).step("rank") == "developed"
    evidence = [
        CalibrationEvidence({"a": lvl}, similarity=0.0, length_ratio=0.5, depth={"a": depth})
        for lvl, depth in [("named", 1), ("explained", 1), ("explained", 2), (None, 0)] * 5
    ]
    labels = [
        {"a": {"named": 1.0, "explained": 1.6, None: 0.0}[e.levels["a"]] + 0.4 * (e.depth["a"] > 1)} for e in evidence
    ]
    fitted = Calibration({"a": 2.0}).fit(evidence, [lab["a"] for lab in labels], labels)
    credit = fitted.credit_["a"]
    assert credit["named"] == pytest.approx(1.0) and credit["explained"] == pytest.approx(1.6)
    assert credit["developed"] == pytest.approx(2.0)
    # A calibration stored before this level existed weighs it as explained.
    old = fitted.to_dict()
    del old["concept_credit"]["a"]["developed"]
    parts, _ = Calibration.from_dict(old).predict_parts(evidence[2])
    assert parts["a"] == pytest.approx(1.6 * fitted.coef_[0])


def test_a_point_shown_only_the_way_the_one_way_view_sees_it_is_weighed_apart(ic: CompiledRubric) -> None:
    """A duty owed upward, in an answer that holds the one-way view, is worth far less to markers than the
    same duty named in a neutral answer: calibration gives such concepts a step of their own."""
    held = "上级是下级的客户。作为下级，本分就是服务好上级，上级交代的事必须办好。"
    one_way = held + "我们车间就是这样，主任安排什么我们就做什么。"
    found = calibration_evidence(ic, one_way)
    assert found.levels["rights_obligations"] == "named" and found.step("rights_obligations") == "one_way"
    # The stored calibration learned it from the corpus: below named.
    assert ic.calibration is not None
    credit = ic.calibration.credit_["rights_obligations"]
    assert credit["one_way"] < 0.5 * credit["named"]

    def fitted(n_one_way: int) -> Calibration:
        evidence = [
            CalibrationEvidence({"a": lvl}, similarity=0.0, length_ratio=0.5, one_way=frozenset(way))
            for lvl, way in [("named", ()), ("explained", ()), (None, ())] * 5 + [("named", ("a",))] * n_one_way
        ]
        worth = {"named": 1.0, "explained": 1.6, None: 0.0}
        labels = [{"a": 0.2 if e.one_way else worth[e.levels["a"]]} for e in evidence]
        return Calibration({"a": 2.0}).fit(evidence, [lab["a"] for lab in labels], labels)

    learned = fitted(10)
    assert learned.credit_["a"]["one_way"] == pytest.approx(0.2)
    assert learned.credit_["a"]["named"] == pytest.approx(1.0)  # the one-way answers do not drag named down
    # Too few such answers to learn from: weighed as named; so is it by a calibration stored before the step.
    assert "one_way" not in fitted(9).credit_["a"]
    old = learned.to_dict()
    del old["concept_credit"]["a"]["one_way"]
    parts, _ = Calibration.from_dict(old).predict_parts(
        CalibrationEvidence({"a": "named"}, similarity=0.0, length_ratio=0.5, one_way=frozenset({"a"}))
    )
    assert parts["a"] == pytest.approx(1.0 * learned.coef_[0])


def test_calibration_spreads_its_scores_as_widely_as_the_markers_do() -> None:
    """A regression on noisy evidence pulls predictions toward the mean: strong answers come out low
    and weak ones high. The fit is stretched about the mean to the spread of the human scores."""
    rng = random.Random(7)
    evidence, scores = [], []
    for n in range(200):
        level = ("named", "explained", None)[n % 3]
        quality = rng.random()
        evidence.append(CalibrationEvidence({"a": level}, similarity=quality, length_ratio=rng.random()))
        scores.append(6 * quality + 2 * (level == "explained") + rng.gauss(0, 1.5))
    fitted = Calibration({"a": 2.0}).fit(evidence, scores)
    predicted = fitted.predict(evidence)
    assert float(predicted.std()) == pytest.approx(statistics.pstdev(scores), rel=1e-3)
    assert float(predicted.mean()) == pytest.approx(statistics.fmean(scores), rel=1e-3)


def test_the_comment_on_an_answer_that_shows_nothing_fits_any_question(waste: CompiledRubric) -> None:
    # The comment is the engine's, shared by every rubric: it may not speak of one question's context
    # (a pupil sorting household waste has no "work" to draw on).
    result = grade(waste, "今天天气很好。")
    assert result.comment.endswith("请围绕题目要求展开作答。") and "工作" not in result.comment


def test_an_answer_run_on_without_punctuation_is_read_clause_by_clause(ic: CompiledRubric) -> None:
    """Typed in one breath on a phone: the points it makes in plain words still count, and one
    negation ("不然我没法备货") does not deny what the rest of the answer says."""
    result = _grade(ic, "run_on")
    status = _statuses(result)
    assert status["rank"] == status["reciprocity"] == "met"
    assert "contradiction" not in _flags(result)
    assert result.score >= 0.5 * result.max_score


def test_a_clause_on_a_wrong_reading_leaves_the_other_clauses_of_its_sentence_their_points(ic: CompiledRubric) -> None:
    """售后 belongs to talk about outside customers; the clauses beside it in one comma-joined sentence
    still explain what they explain."""
    answer = (
        "我在4S店做售后，维修车间修完车要把情况告诉我们前台，车间是在给我们服务，"
        "我们把车主的问题问清楚再交给车间，也是在给车间服务，部门之间就是这样互相配合的。"
    )
    status = _statuses(grade(ic, answer))
    assert status["function"] == "met"


def test_the_subjects_everyday_words_listed_bare_are_a_keyword_list(ic: CompiledRubric) -> None:
    """However the list is introduced, words of many of the rubric's groups standing alone between
    separators are a list; things of one kind listed in a sentence are not."""
    listed = grade(ic, "要点：把活交给谁谁就是客户、领导、下属、科室、工位、互相、配合、需求、协调。")
    assert "keyword_list" in _flags(listed) and listed.score == 0
    said = grade(ic, "我们厂的采购、生产、质检、仓库、销售、财务之间也是互相服务的，谁用了谁的东西谁就是客户。")
    assert "keyword_list" not in _flags(said) and said.score > 0


def test_an_outline_of_numbered_headings_is_a_keyword_list(ic: CompiledRubric) -> None:
    headings = ["一、什么是内部客户", "二、内部客户的三种类型", "三、内部客户的相互性", "四、内部客户的权利和义务"]
    outline = grade(ic, "\n".join([*headings, "五、结合本职工作谈体会"]))
    assert "keyword_list" in _flags(outline) and outline.score == 0
    explained = grade(
        ic,
        "一、内部客户的相互性：上级给任务，下级要资源，双方互为客户。\n"
        "二、部门之间：我们给财务部报数据，财务部给我们批经费。",
    )
    assert "keyword_list" not in _flags(explained) and explained.score >= 2


def test_a_relation_named_then_turned_round_in_the_next_sentence_is_reciprocity(ic: CompiledRubric) -> None:
    answer = (
        "我在食堂后厨切配。炒锅师傅等着我们切好的菜，所以炒锅就是我们的客户。"
        "反过来，炒锅也得提前把今天要几份菜告诉我们，不然我们没法备料。"
    )
    status = _statuses(grade(ic, answer))
    assert status["reciprocity"] == "met"


def test_seen_this_way_opening_a_conclusion_rejects_nothing_before_it(ic: CompiledRubric) -> None:
    """Opening a sentence, "这么看," is "so": the candidate's own conclusion, not "this view" pointing
    back at the sentence before to reject it. With a subject ("每道都这么想,") it still points back."""
    answer = (
        "我们是车间的检修组。检修的前后顺序是：拆机的那组干完，后面清洗的人才能上，所以后面那一组就是前面那一组的客户。"
        "这么看，谁都不是光等人服务的，换一件事位置就换了。"
    )
    status = _statuses(grade(ic, answer))
    assert status["process"] == "met"


def test_the_prompts_one_way_relation_restated_names_rank_it_does_not_explain_it(ic: CompiledRubric) -> None:
    """Alone, "领导是我的客户" says again what the prompt says (stated, not explained: half by the marking guide);
    what the superior asks and gets explains it."""
    stated = _statuses(grade(ic, "在公司里，领导是我的客户，下道工序也是我的客户。"))
    assert stated["rank"] == "partial"
    explained = _statuses(grade(ic, "领导给我布置任务，要我按时交结果，领导就是我的客户。"))
    assert explained["rank"] == "met"


def test_ones_own_unit_named_with_what_it_does_anchors_an_example(ic: CompiledRubric) -> None:
    """我们冲压车间 is one's own unit as surely as 我们车间; not so when punctuation parts the words."""
    told = "内部客户就是接你活的人。{}冲好的件交给焊装，焊装用着顺手，活才算干好了。"
    for own in ("我们冲压车间", "咱们冲压车间", "我们速冻水饺车间"):
        assert calibration_evidence(ic, told.format(own)).levels["own_example"] == "explained", own
        assert "@my_work" in analyse(ic, told.format(own)).sentences[1].keys
    # (The parted sentence still names concrete things of the work, 冲压 and 焊装, so it may earn the
    # example by another rule: the phrase is what this test is about.)
    assert "@my_work" not in analyse(ic, told.format("我们冲压，车间")).sentences[1].keys


def test_what_sentences_on_a_wrong_reading_explain_does_not_put_the_answer_on_topic(ic: CompiledRubric) -> None:
    """Culture layers with the relation's words as examples of a layer (and one's own workshop as an
    example of the outer layer): off topic, however many concepts those sentences touch."""
    answer = (
        "谈客户关系要先谈企业文化。物质层，像我们冲压车间的设备、厂房；制度层，比如部门之间要互相服务、"
        "上道工序为下道工序服务；精神层就是理念。层次建好了，关系就好了。"
    )
    result = grade(ic, answer)
    assert "off_topic" in _flags(result) and result.score == 0


def _levels(ic: CompiledRubric, answer: str) -> dict[str, str | None]:
    return dict(calibration_evidence(ic, answer).levels)


def test_telling_people_not_to_hold_the_one_way_view_rejects_it(ic: CompiledRubric) -> None:
    """别一味觉得"……说了算": the quoted view is rejected, not asserted; no contradiction."""
    answer = '我常跟同事讲：别一味觉得"主任说了算，我们照办就行"，这种想法会让科里的沟通断掉。'
    assert _levels(ic, answer)["one_sided"] == "explained"
    assert "contradiction" not in _flags(grade(ic, answer))


def test_everyone_revolving_round_one_side_asserts_the_one_way_view(ic: CompiledRubric) -> None:
    answer = "我们后勤部门就是服务一线的，所以全厂都要围着一线转，一线提什么要求后勤马上满足。"
    result = grade(ic, answer)
    assert "contradiction" in _flags(result)
    assert _levels(ic, answer)["function"] == "named"  # capped: the relation seen one way only


def test_the_relation_turned_round_to_who_waits_on_whom_is_reciprocity(ic: CompiledRubric) -> None:
    answer = (
        "先说领导和我们。领导给各站下指标，这时候领导是在要结果。"
        "反过来，站里遇到难处得向上级打报告，上级批不批，又成了站里在等上级。"
    )
    assert _levels(ic, answer)["reciprocity"] == "explained"
    assert _levels(ic, "仓库和车间两边手里都攥着对方要的东西，谁也不能光顾自己。")["reciprocity"] == "named"


def test_ones_job_introduced_anchors_the_example_in_the_next_sentence(ic: CompiledRubric) -> None:
    answer = "我是图书馆管理员。老师和学生常来借书查资料，他们算是我的客户。"
    assert _levels(ic, answer)["own_example"] == "explained"
    assert "off_topic" not in _flags(grade(ic, answer))


def test_everyday_words_for_a_supervisor_a_duty_and_a_right(ic: CompiledRubric) -> None:
    """导师 is a superior and 上下之分 a pair of ranks; what one cannot dodge (躲不掉) is a duty and what
    one may ask for by rights (正当提出) a right."""
    ranks = "课题组里有上下之分：导师要论文，他对我们是提要求的人；可他也得给经费、定方向，这时我们是提要求的人。"
    assert _levels(ic, ranks)["rank"] == "explained"
    duties = "给病区配药、送药是我们躲不掉的服务；要病区按时报数、退药，也是我们可以正当提出来的要求。"
    assert _levels(ic, duties)["rights_obligations"] == "explained"


def test_spoken_forms_of_the_one_way_view_and_of_help_from_above(ic: CompiledRubric) -> None:
    """光认为 is the one-way view and 卡在半道上 its breakdown; a superior who must also sort things out
    "for you" (给你解决), in the second person of speech, serves the subordinate."""
    assert _levels(ic, "光认为自己是对方的客户，事情就会卡在半道上。")["one_sided"] == "explained"
    spoken = "跟工长也一样，工长让你赶进度，你得干；可料没到、人不够，你也得找他要，他也得给你解决。"
    assert _levels(ic, spoken)["reciprocity"] == "explained"


def test_a_dense_summary_keeps_what_its_worded_clauses_explain(ic: CompiledRubric) -> None:
    """One clause of little but the terms (双方互为客户互为供方) names its concept; the clauses beside it in
    words of their own still explain theirs. The terms alone strung between commas still earn nothing."""
    summary = "有上下级、部门之间、前后工序三种，双方互为客户互为供方：服务对方是义务，要求对方是权利；"
    levels = _levels(ic, "内部客户就是单位里接你活的人。" + summary)
    assert levels["rights_obligations"] == "explained" and levels["reciprocity"] == "named"
    strung = "职级客户，职能客户，工序客户，互为客户，互为供方，权利义务。"
    assert grade(ic, strung).score <= 2.5


def test_a_superior_and_us_with_what_the_superior_needs_is_the_rank_relation(ic: CompiledRubric) -> None:
    assert _levels(ic, "经理跟我们之间也是这样，经理的要求我们得做到。")["rank"] == "explained"


def test_if_every_unit_thought_itself_the_boss_the_work_would_jam(ic: CompiledRubric) -> None:
    answer = "如果每个部门都觉得自己是老大，别人就该服务我，那公司内部就会一直互相卡。"
    assert _levels(ic, answer)["one_sided"] == "explained"
    one_way = "后台部门应该把一线当成客户，一线的需要最重要，后台要围着一线转。"
    assert "contradiction" in _flags(grade(ic, one_way))


def test_work_handed_on_when_done_and_help_given_back(ic: CompiledRubric) -> None:
    """做完给 hands work to the next step; 你给我干活、我也给你干活 names the relation both ways."""
    assert _levels(ic, "我们车袖子的做完给上领子的，上领子的就是我们客户。")["process"] == "explained"
    assert _levels(ic, "我们主任常说，车间之间是你给我干活、我也给你干活。")["reciprocity"] == "named"


def test_a_forbidden_view_of_oneself_is_rejected_and_a_relation_turned_round_is_mutual(ic: CompiledRubric) -> None:
    """不能说我……都得围着我转 and 别把自己当大爷 forbid the one-way view (the view lies inside the
    prohibition's negation by design); "反过来……又是我们的客户" turns the relation round."""
    forbidden = "不能说我是临床我最大，别的科都得围着我转，那样大家心里都有气。"
    assert _levels(ic, forbidden)["one_sided"] == "explained"
    assert "contradiction" not in _flags(grade(ic, forbidden))
    assert _levels(ic, "所以谁也别把自己当大爷。")["one_sided"] == "explained"
    turned = "厨房出菜交给我们上桌，我们是厨房的客户。可是反过来，我们要提前报开席时间，这时厨房又是我们的客户。"
    assert _levels(ic, turned)["reciprocity"] == "explained"


def test_each_side_the_customer_in_turn_in_the_second_person_and_blame_passed_round(ic: CompiledRubric) -> None:
    said = "所长说得很直白：你提资给谁，谁就是你的客户；他反提给你的时候，你就是他的客户。"
    assert _levels(ic, said)["reciprocity"] == "explained"
    blame = '不要总觉得"I am the customer"，那样team之间会互相甩锅。'
    assert _levels(ic, blame)["one_sided"] == "explained"


def test_ones_own_unit_taken_as_the_example_anchors_it(ic: CompiledRubric) -> None:
    answer = "拿我们诊所连锁来说，门店报上来的耗材需求，采购得按时配送到位。"
    assert _levels(ic, answer)["own_example"] == "explained"


def test_work_that_comes_to_me_and_goes_on_to_the_next_is_the_process_relation(ic: CompiledRubric) -> None:
    """Work received from one side and handed on to the other, or handed to whoever comes next, names
    the next step; a plain story of such a chain is on topic. Handed back to the same side is not."""
    chain = "前台把订单录好给我，我核完价再交给仓库发货。"
    assert _levels(ic, chain)["process"] == "explained"
    assert _levels(ic, "你给我备好料，我给下一个做干净，大家都省事。")["process"] == "explained"
    story = (
        "我是烤面包的。揉面的把醒好的面团给我，我烤好了交给裱花的。"
        "面团醒过头我就烤不出样子，我烤糊了裱花的也白忙。其实大家是一根绳上的，各把自己这段做好。"
    )
    result = grade(ic, story)
    assert "off_topic" not in _flags(result)
    assert result.score > 0
    assert _levels(ic, "财务给我们开好票据，我们再把合同交给他们归档。")["process"] is None


def test_a_superior_setting_what_we_are_to_do_is_the_rank_relation(ic: CompiledRubric) -> None:
    assert _levels(ic, "车间主任每周给我们定产量。")["rank"] == "explained"
    assert _levels(ic, "行政给我们订好了出差的车票。")["rank"] is None


def test_people_and_units_named_as_whoever_receives_ones_work_define_the_term_and_explain_no_function(
    ic: CompiledRubric,
) -> None:
    definition = "内部客户指的是单位里接手我们工作成果的同事和部门。"
    assert _levels(ic, definition)["function"] != "explained"
    assert _levels(ic, definition)["definition"] == "explained"
    assert _levels(ic, "财务部要的报表由我们销售部出，财务部就是我们的客户。")["function"] == "explained"


def test_a_line_announced_as_keywords_is_a_keyword_list_whatever_its_items(ic: CompiledRubric) -> None:
    """Items of several words ("部门协作", "我的工位") keep a list from looking bare; its label says what it is."""
    listed = "关键字：上下级、部门协作、上下工序、彼此服务、职责、将心比心、我的工位——质检"
    result = grade(ic, listed)
    assert "keyword_list" in _flags(result)
    assert result.score <= 0.25 * ic.rubric.max_score


def test_a_weak_answer_that_names_a_concept_in_its_own_words_is_on_topic(ic: CompiledRubric) -> None:
    """Naming one point of the question plainly, and explaining none, is a weak answer, not an off-topic
    one: it keeps the little it shows. Terms crammed into one sentence do not count as so naming."""
    weak = "上级是下级的客户，领导交代的事我们办好就行。平时多听招呼，少提意见，年底评先进也容易些。"
    result = grade(ic, weak)
    assert "off_topic" not in _flags(result)
    assert _levels(ic, weak)["rank"] == "named"
    assert 0 < result.score <= 2


def test_a_view_said_to_be_half_the_story_is_rejected_and_the_words_after_the_verdict_are_ones_own(
    ic: CompiledRubric,
) -> None:
    """ "这话只说了半截" rejects the view before it; after the clause that rejects it the candidate speaks in
    their own words again, which earn what they state (engine 0.9.26)."""
    half = "有人讲上级是下级的客户，这话只说了半截，主任也得给我们配人手。"
    assert _levels(ic, half)["one_sided"] is not None
    assert _levels(ic, half)["reciprocity"] == "explained"
    answer = "很多人认为上级是下级的客户，这种理解是片面的：领导也要给下属提供支持。"
    levels = _levels(ic, answer)
    assert levels["one_sided"] == "explained"
    assert levels["reciprocity"] == "explained"
    assert _levels(ic, "光盯着自己是客户，最后谁也干不成事。")["one_sided"] == "explained"
    assert _levels(ic, "车间和仓库之间，谁都既要东西也得给东西。")["reciprocity"] is not None


def test_an_example_announced_as_ones_own_anchors_it_and_a_target_delivered_to_the_superior_is_rank(
    ic: CompiledRubric,
) -> None:
    example = "拿我自己来说，上个月我找设备科修打印机，这时设备科就是在为我服务。"
    assert _levels(ic, example)["own_example"] == "explained"
    assert _levels(ic, "以我为例，这是我的理解。")["own_example"] is None
    assert _levels(ic, "班长安排我们每天包两百箱，我们就得给他干出来。")["rank"] == "explained"


def test_duty_and_right_swapped_contradict_the_concept_and_nobody_being_the_boss_rejects_the_one_way_view(
    ic: CompiledRubric,
) -> None:
    swapped = "向别的部门提要求是义务，提供服务是权利。"
    assert _levels(ic, swapped)["rights_obligations"] is None
    assert "contradiction" in _flags(grade(ic, swapped))
    boss = "车间和仓库离了谁都不行，所以说谁也不是老大，有事商量着办。"
    assert _levels(ic, boss)["one_sided"] == "explained"
    assert "contradiction" not in _flags(grade(ic, boss))
    shout = "只会喊自己是客户的人，到头来这活儿就黄了。"
    assert _levels(ic, shout)["one_sided"] == "explained"


def test_ones_own_department_or_room_named_by_its_kind_anchors_an_example(ic: CompiledRubric) -> None:
    """我们报关部, 我们洗衣房, 我们维保组: one's own unit by the word that ends its name. 部 is matched only
    with the letter before it (报关部, 财务部), so 我们内部 and 我们全部 stay what they are."""
    assert _levels(ic, "我们报关部接了业务部的单子，就得按时把资料报出去。")["own_example"] == "explained"
    assert _levels(ic, "我们洗衣房把床单洗好送到客房部，客房部就是我们的客户。")["own_example"] == "explained"
    assert _levels(ic, "我们内部的各个部门之间也有客户关系。")["own_example"] != "explained"


def test_waiting_turned_round_no_one_only_receiving_and_what_we_need_the_superior_to_give_are_mutual(
    ic: CompiledRubric,
) -> None:
    assert _levels(ic, "反过来，我们也在等仓库把料配齐。")["reciprocity"] == "explained"
    assert _levels(ic, "在科室里，谁也不是只管接活的，也不是只管交活的。")["reciprocity"] == "explained"
    assert _levels(ic, "组长要产量，我们要她给好用的工具。")["reciprocity"] == "explained"


def test_what_the_superior_wants_of_us_named_as_a_target_is_the_rank_relation(ic: CompiledRubric) -> None:
    assert _levels(ic, "项目经理要进度，我们施工队就得给他干出来。")["rank"] == "explained"


def test_a_duty_stated_beside_a_denied_right_is_a_contradiction_not_the_concept(ic: CompiledRubric) -> None:
    """The `contradicts` rule with `overrides: true` counts in the sentence that also states the duty."""
    denied = "把本职工作做好是我的义务，但我没有权利要求别的部门配合我。"
    assert _levels(ic, denied)["rights_obligations"] is None
    assert "contradiction" in _flags(grade(ic, denied))
    assert (
        _levels(ic, "把本职工作做好是我的义务，需要别的部门配合时我也有权利提出要求。")["rights_obligations"]
        == "explained"
    )


def test_an_answer_of_rhetorical_questions_argues_its_case_rather_than_posing_the_points(ic: CompiledRubric) -> None:
    """An answer made mostly of questions poses the points, and its questions assert nothing. Questions
    that argue ("……,下面的人拿什么完成任务?") do not make it such an answer: what each states before
    asking still counts."""
    argued = (
        "都说下道工序是上道工序的客户。那下道工序有问题憋着不说，上道工序上哪儿知道自己干砸了？"
        "领导光派活不给人，下面的人拿什么完成任务？"
    )
    asked = [v.sentence for v in analyse(ic, argued).sentences]
    assert all(s.asks_from > s.start for s in asked if s.is_question or s.asks_from < s.end)
    posed = "什么是内部客户？上级是不是下级的客户？部门之间有没有客户关系？"
    assert all(v.sentence.asks_from == v.sentence.start for v in analyse(ic, posed).sentences)


def test_serve_when_it_is_ones_turn_and_ask_without_shame_when_it_is_theirs(ic: CompiledRubric) -> None:
    said = "该伺候人的时候别摆谱，该让人伺候的时候也别不好意思开口。"
    assert _levels(ic, said)["rights_obligations"] == "explained"
    assert (
        _levels(ic, "我们职校的老师把学生交给下一个年级的老师，下一个年级的老师就是我们的客户。")["own_example"]
        == "explained"
    )


def test_our_unit_over_here_anchors_an_example_and_asking_without_fear_of_troubling_is_a_right(
    ic: CompiledRubric,
) -> None:
    example = "我们机修这边要等仓库把配件发下来，仓库就是给我们服务的。"
    assert _levels(ic, example)["own_example"] == "explained"
    plain = "该我们做的要做好，该找别的部门的也别怕麻烦人家。"
    assert _levels(ic, plain)["rights_obligations"] == "explained"


def test_everyone_waited_on_and_waiting_and_a_relation_called_not_one_way_name_reciprocity(ic: CompiledRubric) -> None:
    assert _levels(ic, "在我们厂里，谁都有人等着，谁也都在等人。")["reciprocity"] is not None
    assert _levels(ic, "部门和部门之间的关系不是one-way的。")["reciprocity"] is not None


def test_a_workshop_handing_parts_to_the_next_workshop_is_the_process_relation_not_the_functional_one(
    ic: CompiledRubric,
) -> None:
    """A workshop is a step of production: one handing its parts on to the next is the step-to-step
    relation. A workshop and a service unit (仓库, 采购) are still units serving each other."""
    chain = _levels(ic, "我们机加车间做完的零件交给装配车间，装配车间就是我们的客户。")
    assert chain["process"] == "explained"
    assert chain["function"] is None
    assert _levels(ic, "生产车间要的料，仓库得按时发，车间就是仓库的客户。")["function"] == "explained"


def test_more_department_names_make_the_functional_relation(ic: CompiledRubric) -> None:
    answer = "机电科给我们发配件，我们得按时报计划，机电科就是在为我们服务。"
    assert _levels(ic, answer)["function"] == "explained"


def test_the_one_way_view_given_as_what_an_internal_customer_is_or_all_a_subordinate_does_is_a_contradiction(
    ic: CompiledRubric,
) -> None:
    defined = "我觉得内部客户关系说白了就是下级为上级服务。主任交代的报表,我们科当天就交上去。"
    assert "contradiction" in _flags(grade(ic, defined))
    assert _levels(ic, defined)["rank"] == "named"  # explained only the one way round: capped
    duty = "作为下属,我们的任务就是让领导满意。主任交代的报表,我们科当天就交上去。"
    assert "contradiction" in _flags(grade(ic, duty))
    # Reported in order to reject it, it is no contradiction.
    rejected = "有人说下属的任务就是让领导满意,这种看法是片面的,工作会卡住。"
    assert "contradiction" not in _flags(grade(ic, rejected))


def test_a_duty_owed_only_upwards_by_an_answer_holding_the_one_way_view_is_capped(ic: CompiledRubric) -> None:
    answer = "内部客户就是上级是下级的客户。领导交代的事要马上办,办到领导满意为止,为领导服务是下级应尽的义务。"
    assert _levels(ic, answer)["rights_obligations"] == "named"
    # Without the one-way view, the same duty beside the right to ask is explained.
    both = "为领导服务是下级应尽的义务,下级有困难也可以向领导提要求。"
    assert _levels(ic, both)["rights_obligations"] == "explained"


def test_one_half_of_rights_and_obligations_names_the_point_both_halves_explain_it(ic: CompiledRubric) -> None:
    """Markers give a duty alone, or a right alone, about half of the point; both halves, in one sentence,
    two sentences side by side or two clauses side by side of a dense summary, nearly all of it."""
    duty = "同事找我要的报表,我按时给,这是我的本分。"
    right = "我需要仓库配合的时候,也可以大大方方向他们提要求。"
    assert _levels(ic, duty)["rights_obligations"] == "named"
    assert _levels(ic, right)["rights_obligations"] == "named"
    assert _levels(ic, duty + right)["rights_obligations"] == "explained"
    clauses = "上下级、部门之间、前后工序都是这样,位置随着任务变:服务对方是本分,找对方要东西是正当的,谁也离不开谁。"
    assert _levels(ic, clauses)["rights_obligations"] == "explained"


def test_an_answer_cut_off_in_its_last_clause_names_what_that_clause_begins(ic: CompiledRubric) -> None:
    """A half-finished answer: the clause it stops in names the point it begins; the finished clauses of the
    same sentence keep what they explain. Finished, with or without its full stop, it explains the point."""
    start = "在我们玻璃厂，领导给任务，员工完成，领导是客户，但是员工要完成任务也需要领导给"
    cut = _statuses(grade(ic, start))
    assert cut["reciprocity"] == "partial" and cut["rank"] == "met"
    for finished in (start + "人手和设备。", start + "人手和设备"):
        assert _statuses(grade(ic, finished))["reciprocity"] == "met"


def test_the_prompt_copied_with_homophone_slips_is_still_the_prompt(ic: CompiledRubric) -> None:
    """客护 for 客户, 工续 for 工序: slips in the prompt's words do not hide that it was copied back."""
    slipped = grade(
        ic,
        "内部客护:上级是下级的客护,下道工续是上道工续的客护,提出需求部门是提供服物部门的客护。下道工续是上道工续的客护。",
    )
    clean = grade(
        ic,
        "内部客户:上级是下级的客户,下道工序是上道工序的客户,提出需求部门是提供服务部门的客户。下道工序是上道工序的客户。",
    )
    assert "copied_prompt" in _flags(slipped)
    assert slipped.score == clean.score
    # Inside an answer of one's own, the slipped prompt line is the prompt's, as the clean one is.
    own = "我在印刷厂做装订。{}。我们装订要等印刷那边把页子印好送过来,他们也要我们早点报用纸计划。"
    assert _levels(ic, own.format("下道工续是上道工续的客护")) == _levels(ic, own.format("下道工序是上道工序的客户"))
    assert ic.spelled_as_prompt("下道工续是上道工续的客护") == "下道工序是上道工序的客户"


def test_a_wrong_topics_word_inside_a_longer_word_of_the_subject_names_no_wrong_topic(ic: CompiledRubric) -> None:
    """售后 alone is after-sales service to buyers outside; inside 售后组 it is part of a department's name."""
    story = (
        "我在电话中心上班。用户来电报故障，我登记成工单转给售后组，售后组修好后把结果回填给我，我再打电话告诉用户。"
        "售后组有时也找我，说工单上的地址写错了，让我核实清楚。"
    )
    result = grade(ic, story)
    assert "off_topic" not in _flags(result)
    assert _levels(ic, story)["function"] == "explained"
    # The word alone still reads as service to buyers outside.
    assert "off_topic" in _flags(grade(ic, "售后要及时，客户有投诉要马上处理，让客户满意。"))


def test_sides_that_take_turns_as_each_others_customer_state_reciprocity(ic: CompiledRubric) -> None:
    """互相当客户: 互为客户 in everyday words, with 客户 its own word beside them."""
    assert _levels(ic, "浆纱和织布前后两道，其实是互相当客户。")["reciprocity"] == "explained"


def test_terms_crammed_into_clauses_of_little_else_name_no_more_than_one_sentence_may(ic: CompiledRubric) -> None:
    """Clauses of little but the terms, touching more concepts than one sentence may name, with a clause or
    two of words around them: still the terms crammed together."""
    crammed = (
        "内部客户涵盖职级客户、职能客户、工序客户，突出相互性、互为客户互为供方、权利和义务统一、克服片面性，"
        "并结合本职工作举例，做到有序、相互、自发的内部服务。"
    )
    levels = _levels(ic, crammed)
    assert sum(level is not None for level in levels.values()) <= ic.rubric.settings.max_concepts_per_sentence
    assert grade(ic, crammed).score <= 2.0
    # A dense summary in words of its own still earns what each clause states.
    dense = "内部客户就是接我们活的人和部门，上下级、部门间、前后工序三种都是，而且彼此互为客户和供方，位置随任务变。"
    assert _levels(ic, dense)["reciprocity"] == "explained"


def test_telling_no_one_to_take_himself_for_the_master_rejects_the_one_way_view(ic: CompiledRubric) -> None:
    answer = "谁也别拿自己当大爷，真都那样，事情就都卡住了。"
    assert _levels(ic, answer)["one_sided"] == "explained"
    assert "contradiction" not in _flags(grade(ic, answer))


def test_two_sides_working_for_each_other_names_reciprocity(ic: CompiledRubric) -> None:
    assert _levels(ic, "保洁和前台其实是在给对方干活：保洁打扫完，前台才能放人。")["reciprocity"] is not None


def test_serving_the_superior_as_all_ones_duty_without_bargaining_is_the_one_way_view_held(ic: CompiledRubric) -> None:
    answer = (
        "我在区税务所办公室工作。作为下属，本分就是服务好上级，不能跟领导讲条件。主任交代的材料，我当天就整理好交上去。"
    )
    result = grade(ic, answer)
    assert "contradiction" in _flags(result)
    # Rank, duty and the example are explained only the one way round: none of them counts as explained.
    assert "explained" not in _levels(ic, answer).values()
    assert result.score <= 1.0


def test_an_attitude_named_as_the_thing_to_fear_is_reported_not_held(ic: CompiledRubric) -> None:
    answer = (
        "我在行里做审批，前台客户经理报上来的项目等着我们出意见，他们就是我们的客户；反过来我们要的材料也得靠客户经理去收，"
        "那时候我们又是他们的客户了。最怕的就是那种心态，觉得我是审批的我说了算，前台都得求着我。"
    )
    assert "contradiction" not in _flags(grade(ic, answer))
    assert _levels(ic, answer)["reciprocity"] == "explained"


def test_the_one_way_view_and_its_cost_in_northeastern_speech_are_rejected(ic: CompiledRubric) -> None:
    assert _levels(ic, "要是谁都光寻思自个是客户，那活儿就卡那了。")["one_sided"] == "explained"


def test_no_department_only_enjoying_service_argues_for_the_question_not_against_it(ic: CompiledRubric) -> None:
    """ "没有哪个部门是光享受服务的" rejects the one-way view; read as three denials it had zeroed a good answer."""
    answer = (
        "我在养老院做护理员。我们要给老人换药，得靠护士站按时把药配好发下来；厨房要给糖尿病老人做低糖餐，"
        "得靠我们每天报准谁吃什么。护士站、厨房、我们护理组，今天你等我，明天我等你，没有哪个部门是光享受服务的。"
    )
    result = grade(ic, answer)
    assert "contradiction" not in _flags(result)
    assert _levels(ic, answer)["one_sided"] == "explained"
    assert result.score >= 3.0


def test_sides_that_are_each_others_customer_state_reciprocity(ic: CompiledRubric) -> None:
    answer = "像我们门店和整备组，我们等他们备车，他们等我们给准确的订单，互相是对方的客户。"
    assert _levels(ic, answer)["reciprocity"] == "explained"


def test_duty_and_right_in_a_herders_words_and_the_farm_head_as_superior(ic: CompiledRubric) -> None:
    assert _levels(ic, "咱该交的活交干净，该要的东西也敢开口要。")["rights_obligations"] == "explained"
    assert _levels(ic, "还有我们场长，场长要产量，要我们管好班，那场长是客户。")["rank"] == "explained"


def test_no_buck_passing_between_offices_is_no_duty_to_serve(ic: CompiledRubric) -> None:
    """不能推诿扯皮 asks offices to cooperate; it states no duty owed to an internal customer (不能推掉 does)."""
    answer = "大家都是为学校办事的，谁也离不开谁，工作上要互相配合，不能推诿扯皮。"
    assert _levels(ic, answer)["rights_obligations"] != "explained"


def test_blind_obedience_upwards_and_duty_as_pleasing_the_superior_hold_the_one_way_view(ic: CompiledRubric) -> None:
    """只能服从, 说什么就是什么, 职责就是让上级满意: the one-way view given as right, in everyday words."""
    obey = "前面的工位要什么，我们就做什么，我们只能服从。质检说什么就是什么，返工单下来我们当天就改完。"
    assert "contradiction" in _flags(grade(ic, obey))
    duty = "作为科员，我的职责就是让领导满意。处长交办的文件，我都按时办好送过去。"
    result = grade(ic, duty)
    assert "contradiction" in _flags(result)
    assert "explained" not in _levels(ic, duty).values()
    # Reported in order to reject it, obedience is no contradiction.
    rejected = "有人觉得下道工序说什么就是什么，上道只能服从，这种看法是片面的，工作会卡住。"
    assert "contradiction" not in _flags(grade(ic, rejected))


def test_everyday_words_for_customer_asking_and_the_one_way_views_cost(ic: CompiledRubric) -> None:
    """主顾 is a customer; 接你东西的人 defines one; 直接开口 asks for what one needs; everyone wanting to be
    the master (当爷) and the process stopping (流程停) is the one-way view's cost."""
    both = "质检科和我们包装组，我们是他们的主顾，他们也是我们的主顾。"
    assert _levels(ic, both)["reciprocity"] == "explained"
    assert _levels(ic, "在厂里，接你东西的人就是你的客户。")["definition"] == "explained"
    ask = "该我给人家做的我不拖，我需要人家给的东西也直接开口要，不绕弯子。"
    assert _levels(ic, ask)["rights_obligations"] == "explained"
    assert _levels(ic, "谁也别老想当爷，都当爷了，没人干活。")["one_sided"] == "explained"
    cost = "光说下面的伺候上面的，就成了人人等着别人伺候，沟通断、流程停。"
    assert _levels(ic, cost)["one_sided"] == "explained"


def test_people_who_dare_not_ask_deny_no_right(ic: CompiledRubric) -> None:
    """不敢提要求 reports holding back: it is no contradiction of the right to ask."""
    answer = "上下级和部门之间都是互为客户的。分不清自己位置的人，要么不敢提要求，要么光提要求不干活。"
    assert "contradiction" not in _flags(grade(ic, answer))


def test_heads_of_a_co_op_a_kindergarten_or_a_train_are_superiors_and_no_one_only_serving_is_mutual(
    ic: CompiledRubric,
) -> None:
    """理事长, 园长, 列车长 … head their units as a 主任 does; "谁都不是光伺候人的" says no side only serves."""
    for head in ("理事长", "园长", "列车长"):
        answer = f"{head}给我们派活，我们得让她满意；可我们缺人手缺材料，也得靠{head}去给我们争取。"
        assert _levels(ic, answer)["rank"] == "explained", head
    both = "所以在单位里，谁都不是光伺候人的，也不是光等着别人伺候的。"
    assert _levels(ic, both)["reciprocity"] == "explained"


def test_saying_people_are_each_others_customers_states_mutuality_not_who_a_customer_is(ic: CompiledRubric) -> None:
    """Saying "公司里的人和部门也是互为客户的" is reciprocity; it does not say who an internal customer is."""
    assert _levels(ic, "我想公司里的人和部门也是互为客户的。")["definition"] is None
    assert _levels(ic, "公司里的同事也是我们的客户。")["definition"] == "explained"


def test_other_departments_owing_us_whatever_we_need_holds_the_one_way_view(ic: CompiledRubric) -> None:
    answer = "后勤、食堂、财务都是我们一线的供方，我们是他们的客户，他们有义务满足我们的需要，这一点很对。"
    assert "contradiction" in _flags(grade(ic, answer))


def test_i_in_turn_am_the_customer_of_a_named_side_states_reciprocity(ic: CompiledRubric) -> None:
    """After "他就是我的客户", "这时我又是车间的客户" states the relation from both ends, the side named by its name."""
    answer = "我排的计划，车间照着做，他就是我的客户。车间也要把每天的产量报给我，这时我又是车间的客户。"
    assert _levels(ic, answer)["reciprocity"] == "explained"


def test_a_superior_and_us_heading_what_each_needs_of_the_other_explains_rank(ic: CompiledRubric) -> None:
    """A heading "领导和我们:" pairs the superior with us; what each side then needs explains rank."""
    answer = "领导和我们：站长要数据准、服务好；我们要站长给人、给设备。"
    assert _levels(ic, answer)["rank"] == "explained"


def test_an_answer_in_spoken_words_is_close_to_the_reference_material(ic: CompiledRubric) -> None:
    """The references include one in spoken words, as many candidates write: a plain, spoken answer of other
    words is not measured as far from the reference material as an answer on another subject."""
    spoken = (
        "我在食堂打饭，跟你说个实在的。后厨切好配好的菜送到灶上，灶上的师傅就是我们切配的客户，切得不匀人家没法炒。"
        "可灶上也得提前告诉我们中午要多少份，不然我们也白忙。管理员给我们排班，要饭菜准时出锅，他是客户；"
        "我们缺刀缺案板找他申请，他就得给我们办。所以谁也不是光伺候人的，都是互相的。"
    )
    assert grade(ic, spoken).similarity >= 0.12
    assert _grade(ic, "crm").similarity < 0.12


def test_the_prompt_rearranged_with_a_resumptive_it_is_still_the_prompt(ic: CompiledRubric) -> None:
    """ "上道工序,它的客户是下道工序": 它 slipped into the prompt's relations, like 的, hides nothing."""
    answer = (
        "我在工作中是这样理解客户关系的：上道工序，它的客户是下道工序；下级，它的客户是上级；"
        "提供服务的部门，它的客户是提出需求的部门。用自己的语言说，内部客户就是这样。"
    )
    result = grade(ic, answer)
    assert "copied_prompt" in _flags(result)
    assert result.score <= 0.2 * ic.rubric.max_score


def test_a_side_named_our_customer_then_we_the_customer_in_turn_states_reciprocity(ic: CompiledRubric) -> None:
    """车间是我们的客户……这时候我们才是客户: each side the customer in turn, the first named by a noun."""
    answer = "我们给车间出配方，车间是我们的客户；可车间用了什么料，也得告诉我们，这时候我们才是客户。"
    assert _levels(ic, answer)["reciprocity"] == "explained"


def test_departments_turning_to_each_other_by_turns_explain_function(ic: CompiledRubric) -> None:
    answer = "科室跟车间也一样，设备科、技术科、质检科跟我们，今天我求他们，明天他们找我，谁也少不了谁。"
    assert _levels(ic, answer)["function"] == "explained"


def test_asking_the_superior_for_what_the_work_needs_explains_rank_and_reciprocity(ic: CompiledRubric) -> None:
    """他要我们……;我们要他……: what the superior asks of us and what we ask of the superior."""
    answer = "站长对我们也是，他要我们一个月检多少只、差错率多少；我们要他申请新的检定装置，旧台子误差大。"
    levels = _levels(ic, answer)
    assert levels["rank"] == "explained"
    assert levels["reciprocity"] == "explained"


def test_rejecting_the_superior_serving_us_as_a_saying_contradicts_reciprocity(ic: CompiledRubric) -> None:
    """……上级也要为下级服务,这种说法是错的: the mutual relation named only to be rejected."""
    answer = "领导满意了，我们的工作就做好了。领导交办的事情第一时间办，上级也要为下级服务，这种说法是错的。"
    result = grade(ic, answer)
    assert "contradiction" in _flags(result)
    assert _statuses(result)["reciprocity"] == "missing"


def test_departments_named_by_their_own_names_explain_function(ic: CompiledRubric) -> None:
    """广告部, 发行部: departments are often named, not called 部门."""
    answer = "在报社，广告部、发行部等着我们排好的版面，他们是我们的客户。"
    assert _levels(ic, answer)["function"] == "explained"


def test_a_departments_needs_handled_by_us_explain_function(ic: CompiledRubric) -> None:
    answer = "二是和各业务部门，他们提用人需求、转正申请，我们办理。"
    assert _levels(ic, answer)["function"] == "explained"


def test_the_one_way_view_leaving_the_other_side_passive_is_criticised(ic: CompiledRubric) -> None:
    """只讲上级是客户,下面的人只会被动应付: what the one-way view leads to, named in everyday words."""
    answer = "如果只讲上级是客户，下面的人只会被动应付，有困难也不说，最后学生投诉的还是宿管科。"
    assert _levels(ic, answer)["one_sided"] == "explained"


def test_disagreeing_with_the_only_criticises_the_one_way_view(ic: CompiledRubric) -> None:
    """我不同意只说……: what is rejected is the "only"; it holds no contradiction."""
    result = grade(ic, "但是我不同意只说“生产是采购的客户”，采购也需要生产提前报计划，不然采购没法买。")
    assert "contradiction" not in _flags(result)
    assert _levels(ic, "但是我不同意只说“生产是采购的客户”，采购也需要生产提前报计划。")["one_sided"] == "explained"


def test_duty_and_right_in_plain_words_in_one_sentence_explain_rights_and_obligations(ic: CompiledRubric) -> None:
    """给,是本分;要,是正当的: both halves in everyday words, with no term of the subject beside them."""
    answer = "所以这里面每个人都是两头。给，是本分，推不得；要，是正当的，不用缩着。"
    assert _levels(ic, answer)["rights_obligations"] == "explained"
    # The terms themselves dropped into a story about something else explain nothing.
    outing = "中午在农家乐吃饭，大家一致认为权利和义务都很重要，下次还要再去爬山。"
    assert _levels(ic, outing)["rights_obligations"] != "explained"


def test_owing_the_other_side_nothing_holds_the_one_way_view(ic: CompiledRubric) -> None:
    """我们不需要为收货组做什么,因为我们是客户: the one-way view held as right."""
    answer = (
        "上架在收货之后，所以我们是收货组的客户，收货组就应该按我们的要求来。我们不需要为收货组做什么，因为我们是客户。"
    )
    assert "contradiction" in _flags(grade(ic, answer))


def test_support_departments_existing_to_serve_us_holds_the_one_way_view(ic: CompiledRubric) -> None:
    answer = (
        "我们一线员工就是公司里最大的客户，后勤部门存在的意义就是为我们服务。我们提要求是应该的，他们满足我们是应该的。"
    )
    assert "contradiction" in _flags(grade(ic, answer))


def test_the_next_step_finding_fault_with_what_was_handed_on_explains_process(ic: CompiledRubric) -> None:
    """摘下来的果子交给分拣的,分拣的嫌我们摘得毛糙: the next step judges what it was handed."""
    answer = "我们采摘队摘下来的果子交给分拣的，分拣的嫌我们摘得毛糙、磕伤了，人家有理。"
    assert _levels(ic, answer)["process"] == "explained"


def test_work_done_for_the_next_crew_to_use_explains_process(ic: CompiledRubric) -> None:
    """干给下一拨人用的……下一拨人发现问题也得早吱声,别等……再拆: the next crew, and advice on timing, no denial."""
    answer = (
        "你手上这活是干给下一拨人用的，人家用着顺手了才算干完。反过来，下一拨人发现问题也得早吱声，别等都装上去了再拆。"
    )
    levels = _levels(ic, answer)
    assert levels["process"] == "explained"


def test_a_line_announced_as_keywords_is_a_list_even_when_it_names_the_kinds(ic: CompiledRubric) -> None:
    """关键词：……三类：职级、职能、工序／……: the kinds are listed, not classified."""
    answer = "关键词：内部客户／三类：职级、职能、工序／相互性（互为客户、互为供方）／服务的权利与义务／避免片面理解"
    result = grade(ic, answer)
    assert "keyword_list" in _flags(result)
    assert result.score <= 0.25 * ic.rubric.max_score


def test_warning_against_a_one_sided_understanding_is_no_contradiction(ic: CompiledRubric) -> None:
    """所以不能片面地认为只有上级是下级的客户: the critique of the one-way view, not its denial."""
    answer = (
        "班长派活的时候他是客户，他给我们协调工装、安排培训的时候我们就是他的客户，这个关系是相互的。"
        "所以不能片面地认为只有上级是下级的客户。"
    )
    result = grade(ic, answer)
    assert "contradiction" not in _flags(result)
    assert _levels(ic, answer)["one_sided"] == "explained"


def test_a_relation_that_must_not_be_turned_round_denies_reciprocity(ic: CompiledRubric) -> None:
    """这个关系不能倒过来,不然就乱套了: the one-way view held as right, not a turn of roles."""
    answer = "驾驶员、车队长是修理工的客户，这个关系不能倒过来，不然就乱套了，谁都想指挥谁。"
    assert _levels(ic, answer).get("reciprocity") is None
    assert "contradiction" in _flags(grade(ic, answer))


def test_rejecting_a_reported_mutual_view_holds_the_one_way_view(ic: CompiledRubric) -> None:
    """有人说内部客户是互相的,我不太同意: the mutual view rejected, no critique of the one-way view."""
    answer = "有人说内部客户是互相的，我不太同意。上级就是下级的客户，下级把领导交代的事做好就行了。"
    result = grade(ic, answer)
    assert "contradiction" in _flags(result)
    levels = _levels(ic, answer)
    assert levels.get("one_sided") is None and levels.get("reciprocity") is None
    # Rejecting the one-way view so reported is the critique.
    critique = "很多人认为下级只需让上级满意，我不同意。上级也要为下级服务，这时候下级就是上级的客户。"
    assert _levels(ic, critique)["one_sided"] == "explained"
    # Rubric .38: "我可不这么看" rejects a reported view as 我不同意 does.
    spoken = "有人觉得只有上级是客户，我可不这么看。领导也要给我们配资源，这时我们就是他的客户。"
    assert _levels(ic, spoken)["one_sided"] == "explained"


def test_obedience_and_no_mutuality_hold_the_one_way_view(ic: CompiledRubric) -> None:
    """没有什么互相,只有服从 / 后勤就应该围绕一线转,提什么要求都应该满足: the one-way view held as right."""
    obey = "我认为，下级的职责就是服务上级，上级永远是对的。内部关系中没有什么互相，只有服从。"
    assert "contradiction" in _flags(grade(ic, obey))
    assert _levels(ic, obey).get("reciprocity") is None
    front = "门店一线是后勤、人事的客户，后勤人事就应该围绕一线转，一线提什么要求都应该满足。这就是内部客户。"
    assert "contradiction" in _flags(grade(ic, front))


def test_what_the_superior_wants_and_what_we_ask_the_superior_for_explain_rank(ic: CompiledRubric) -> None:
    """主任要合格率,我要主任给模具和人: both directions between the superior and me."""
    levels = _levels(ic, "压铸厂里，主任要合格率，我要主任给模具和人；换件事，位置就调过来。")
    assert levels["rank"] == "explained" and levels["reciprocity"] == "explained"


def test_a_former_view_of_ones_own_told_as_revised_is_no_contradiction(ic: CompiledRubric) -> None:
    """以前我总觉得……我们说了算 … 后来经理说其实你们是互相的客户: the former view is not the one held."""
    answer = (
        "以前我总觉得，业务员是求着我们鉴定的，我们说了算。后来经理把我们俩叫到一起说，其实你们是互相的客户。"
        "前台把东西和资料交给鉴定，鉴定就是前台的客户，前台得把材料给全；鉴定把结论交回前台，前台又是鉴定的客户。"
    )
    result = grade(ic, answer)
    assert "contradiction" not in _flags(result)
    assert _levels(ic, answer)["reciprocity"] == "explained"


# Points made in everyday words, without the terms, that rubrics .41 to .44 learned to read.
_PLAIN = {
    # 该交出去的东西交好,该开口要的东西开口要 / 缺东西去要也不算过分: duty and right without the terms.
    "rights_obligations": (
        "在我们调度大厅，该交出去的东西交好，该开口要的东西开口要。",
        "我把自己那道做好是本分，缺东西去要也不算过分。",
        "该给别人的，按时按质给到；需要别人配合的时候，也得开口。",
        "我觉得给别人把活干好是该的，自己有需要也要大方提出来。",
    ),
    # 光想着别人伺候自己,一个单位就散了: the cost of the one-way view, told in everyday words.
    "one_sided": (
        "光想着别人伺候自己，一个单位就散了。",
        "谁都觉得别人该为自己服务，结果事情就在几个部门之间转圈。",
        "只知道喊别人给我服务，那就谁也配合不起来。",
        "只想着别人serve自己，整个组就会stuck。",
    ),
    # 队长要进度,我们要材料和人手,两边互相要东西 / 换个事儿就倒个个儿: the relation runs both ways.
    "reciprocity": (
        "队长跟我们之间也是这样，队长要进度，我们要材料和人手，两边互相要东西。",
        "说到底，一个人这头是客户，那头就是给人干活的，换个事儿就倒个个儿。",
        "库管要我们当天回填台账，我们要他们提前把轴承备够，双方互相都有要求。",
    ),
    # 运行就是我们的下一棒 / 后手就是前手的客户: the next step named, and what it waits for.
    "process": (
        "我们试验报告交得慢，运行就没法开机，运行就是我们的下一棒。",
        "一件工作按先后顺序流下去，后手接前手的东西，后手就是前手的客户。",
    ),
}
PLAIN_WORDS = [
    pytest.param(concept, answer, id=f"{concept}-{n}")
    for concept, answers in _PLAIN.items()
    for n, answer in enumerate(answers)
]


@pytest.mark.parametrize(("concept", "answer"), PLAIN_WORDS)
def test_a_point_made_in_plain_words_is_explained(ic: CompiledRubric, concept: str, answer: str) -> None:
    assert _levels(ic, answer)[concept] == "explained"


def test_what_the_superior_asks_and_owes_in_turn_explains_rank_and_reciprocity(ic: CompiledRubric) -> None:
    """班长……他要数据,我们要他把片区排合理 / 主管要出品质量,那她得给我们把烤箱修好: both directions."""
    for answer in (
        "班长跟我们也一样，他要数据，我们要他把片区排合理、车子派到位。",
        "还有我们主管，她要出品质量，那她得给我们把烤箱修好、黄油订上。",
        "店长要我们十点前把货上架，可她也得给我们把人手排够。",
    ):
        levels = _levels(ic, answer)
        assert levels["rank"] == "explained" and levels["reciprocity"] == "explained", answer


def test_more_everyday_forms_of_the_one_way_view_and_its_cost_are_criticised(ic: CompiledRubric) -> None:
    """只会说"我是客户,你得服务我",……活儿就干不下去了 / 光想着……你们都得顺着我,……货也发不出去."""
    for answer in (
        "有的人一提内部客户就只会说“我是客户，你得服务我”，这样的话每个环节都在等别人，活儿就干不下去了。",
        "光想着“我是客户，你们都得顺着我”，那厂里就没人跟人说话了，货也发不出去。",
    ):
        assert _levels(ic, answer)["one_sided"] == "explained", answer
