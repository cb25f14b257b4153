from __future__ import annotations

from service.text import normalize, to_simplified


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
