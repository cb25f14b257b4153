from __future__ import annotations

from service.text import Segmenter, normalize, split_sentences


def _texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(normalize(text).text)]


def test_splits_on_chinese_and_western_marks_and_line_breaks() -> None:
    assert _texts("第一句。第二句!第三句?第四句;第五句\n第六句") == [
        "第一句。",
        "第二句！",
        "第三句？",
        "第四句；",
        "第五句",
        "第六句",
    ]


def test_a_line_ending_in_a_comma_is_a_soft_wrap() -> None:
    assert _texts("如果大家只想着自己，\n工作就会不顺。") == ["如果大家只想着自己，\n工作就会不顺。"]


def test_questions_are_recognised() -> None:
    sentences = split_sentences(normalize("上级是客户吗?难道下级不是客户。下级也是客户。").text)
    assert [s.is_question for s in sentences] == [True, True, False]


def test_spans_index_the_normalised_text() -> None:
    text = normalize("一、职级客户\n二、职能客户").text
    for s in split_sentences(text):
        assert text[s.start : s.end] == s.text


def test_a_rhetorical_question_after_a_statement_asks_only_from_its_question() -> None:
    text = normalize("领导是客户，可领导不给人不给钱，你拿啥干？上级和下级，谁是谁的客户？").text
    first, second = split_sentences(text)
    assert not first.is_question and text[first.asks_from :].startswith("你拿啥干")
    # A statement too short to assert anything only sets up the question.
    assert second.is_question and second.asks_from == second.start
    plain = split_sentences(normalize("下级也是上级的客户。").text)[0]
    assert plain.asks_from == plain.end


def test_text_run_on_without_punctuation_is_cut_into_its_clauses() -> None:
    text = (
        "我在食堂做了八年饭以前觉得客户就是来吃饭的员工后来才懂得送菜的师傅也把我当客户"
        "所以我每天验收都要及时签字但是他们送货也得守时不然我这边开不了火"
    )
    tokens = Segmenter().tokens(text)
    pieces = split_sentences(text, tokens)
    assert [p.text[:2] for p in pieces] == ["我在", "后来", "所以", "但是", "不然"]
    assert "".join(p.text for p in pieces) == text
    assert all(text[p.start : p.end] == p.text for p in pieces)
    assert [p.index for p in pieces] == list(range(len(pieces)))


def test_punctuated_clauses_and_short_stretches_are_never_cut() -> None:
    text = "上级给下级布置任务,所以上级是客户;但是下级也需要资源。后来我明白了"
    tokens = Segmenter().tokens(normalize(text).text)
    assert len(split_sentences(normalize(text).text, tokens)) == 3
    # Without the tokens, the sentences are cut by their marks only.
    run_on = "以前觉得客户就是来吃饭的员工后来才懂得送菜的师傅也把我当客户所以我验收要及时但是他们送货也得守时"
    assert len(split_sentences(run_on)) == 1


def test_an_asking_word_before_the_closing_question_stands_for_whatever() -> None:
    """Asking "缺啥给啥" is no question: the question is the run of asking clauses at the end."""
    text = normalize("组长得先跟我们讲清楚要啥，缺啥就给配上，机器坏了赶紧找人修，不然我们拿什么干？").text
    (sentence,) = split_sentences(text)
    assert not sentence.is_question and text[sentence.asks_from :].startswith("不然我们拿什么干")
    both = split_sentences(normalize("谁是客户，谁是供方？").text)[0]
    assert both.is_question


def test_a_question_mark_with_no_asking_word_asks_with_its_last_clause() -> None:
    """A rhetorical question needs no asking word ("……,那车站还转得动?"): engine 0.9.16 reads the clauses
    before it as stated; before, the whole sentence was a question and its complaint about the one-sided
    view earned nothing."""
    text = normalize("最烦有人老觉得自己是客户，个个都当大爷，那仓库还转得动？").text
    (sentence,) = split_sentences(text)
    assert not sentence.is_question and text[sentence.asks_from :].startswith("那仓库还转得动")
    # A statement too short to assert anything, or one clause alone, still only asks.
    for asked in ("领导是客户？", "上下级，也互为客户？"):
        only = split_sentences(normalize(asked).text)[0]
        assert only.is_question and only.asks_from == only.start, asked


def test_a_tag_question_with_ba_states_what_it_asks_about() -> None:
    """ "……吧?" asks to be agreed with (engine 0.9.17): "班长也得给咱弄工具吧?" says the team leader must."""
    text = normalize("班长让干啥就干啥，不过班长也得给咱弄劳保、弄工具吧？这样对吗？").text
    tagged, asked = split_sentences(text)
    assert not tagged.is_question and tagged.asks_from == tagged.end
    assert asked.is_question
