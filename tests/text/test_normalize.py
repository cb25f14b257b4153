from __future__ import annotations

from service.text import normalize, split_sentences, to_simplified


def test_full_width_and_unusual_marks_become_canonical() -> None:
    assert normalize("上级﹐下级﹑部门,工序?").text == "上级，下级、部门，工序？"


def test_repeated_punctuation_collapses() -> None:
    assert normalize("很重要！！！真的。。。").text == "很重要！真的。"


def test_ascii_full_stop_becomes_chinese_but_decimals_and_list_numbers_stay() -> None:
    assert normalize("得分3.5分. 1. 第一点").text == "得分3.5分。 1. 第一点"


def test_invisible_and_control_characters_are_dropped() -> None:
    assert normalize("内\u200b部\u202e客\x07户").text == "内部客户"


def test_traditional_becomes_simplified_keeping_length() -> None:
    assert to_simplified("內部客戶關係是相互的") == "内部客户关系是相互的"
    assert to_simplified("简体不变") == "简体不变"


def test_offsets_point_into_the_original() -> None:
    original = "ＡＢ內部客戶﹐\u200b上級…下級"
    norm = normalize(original)
    start = norm.text.index("上级")
    a, b = norm.span_to_original(start, start + 2)
    assert original[a:b] == "上級"
    a, b = norm.span_to_original(norm.text.index("内部"), norm.text.index("内部") + 4)
    assert original[a:b] == "內部客戶"
    assert len(norm.origin) == len(norm.text) + 1


def test_a_full_width_full_stop_ends_a_sentence_whatever_else_the_answer_holds() -> None:
    """ "．" (U+FF0E) is a full stop as "." is; it was left a bare dot when every other character of
    the answer happened to map one to one, so the answer read as a single sentence."""
    assert normalize("上级是客户．下级也是客户．").text == "上级是客户。下级也是客户。"
    assert normalize("上级是客户．下级也是客户．\u200b").text == "上级是客户。下级也是客户。"


def test_a_windows_line_break_is_one_line_break() -> None:
    """CRLF is one line break, so a line ending in a comma runs on into the next as with LF."""
    for text in ("部门之间，\r\n也要互相配合。\r\n工序之间也一样。", "部门之间，\n也要互相配合。\n工序之间也一样。"):
        norm = normalize(text)
        assert norm.text == "部门之间，\n也要互相配合。\n工序之间也一样。"
        assert [s.text for s in split_sentences(norm.text)] == ["部门之间，\n也要互相配合。", "工序之间也一样。"]
    assert normalize("甲\r乙").text == "甲\n乙"  # a lone carriage return still breaks the line
    norm = normalize("上级，\r\n下级")
    a, b = norm.span_to_original(norm.text.index("下级"), norm.text.index("下级") + 2)
    assert "上级，\r\n下级"[a:b] == "下级"


def test_an_ellipsis_stays_an_ellipsis_inside_its_sentence() -> None:
    """NFKC spells "…" as three dots, which became a full stop and split the sentence."""
    for mark in ("……", "⋯⋯", "…", "...", "．．．"):
        assert normalize(f"我想{mark}领导和员工也是互为客户的。").text == "我想…领导和员工也是互为客户的。"
    assert len(split_sentences(normalize("我想……领导和员工也是互为客户的。").text)) == 1


def test_a_space_between_han_characters_is_a_comma() -> None:
    """Typed where the comma is hard to reach: "报修 派给工程部" is two clauses. Latin words keep theirs."""
    assert (
        normalize("客服接到报修 派给工程部  工程部修完回复我们").text == "客服接到报修，派给工程部，工程部修完回复我们"
    )
    assert normalize("我的team lead 要结果").text == "我的team lead 要结果"
    spaced = normalize("报修 派单")
    assert spaced.text == "报修，派单" and spaced.span_to_original(2, 3) == (2, 3)
