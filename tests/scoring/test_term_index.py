from __future__ import annotations

from service.scoring.engine import Hit, TermIndex


def test_finds_overlapping_literals_by_start_then_longest_first() -> None:
    index = TermIndex({"内部客户": {"@customer"}, "内部": {"内部"}, "客户": {"@customer"}, "户": {"户"}})
    hits = index.find("做好内部客户服务")
    assert hits == [
        Hit("内部客户", 2, 6),
        Hit("内部", 2, 4),
        Hit("客户", 4, 6),
        Hit("户", 5, 6),
    ]
    assert all(isinstance(hit, Hit) and hit.literal == "做好内部客户服务"[hit.start : hit.end] for hit in hits)


def test_latin_literals_match_whatever_the_case() -> None:
    index = TermIndex({"internal customer": {"@customer"}, "crm": {"!software"}})
    assert index.find("Our CRM and the Internal Customer") == [Hit("crm", 4, 7), Hit("internal customer", 16, 33)]


def test_repeated_and_adjacent_occurrences_are_all_found() -> None:
    index = TermIndex({"互为": {"互为"}, "为供": {"为供"}})
    assert index.find("互为供互为") == [Hit("互为", 0, 2), Hit("为供", 1, 3), Hit("互为", 3, 5)]


def test_an_empty_index_finds_nothing() -> None:
    assert TermIndex({}).find("内部客户") == []


def test_a_phrase_with_a_gap_takes_a_few_letters_or_digits_between_its_parts() -> None:
    index = TermIndex({"我们…车间": {"@my_work"}, "车间": {"@department"}}, gap=6)
    assert index.find("我们冲压车间") == [Hit("我们…车间", 0, 6), Hit("车间", 4, 6)]
    assert index.find("我们车间") == [Hit("我们…车间", 0, 4), Hit("车间", 2, 4)]
    assert index.find("说我们速冻水饺车间") == [Hit("我们…车间", 1, 9), Hit("车间", 7, 9)]
    assert index.find("我们SMT2车间") == [Hit("我们…车间", 0, 8), Hit("车间", 6, 8)]
    # Not across punctuation or a space, not beyond the gap; the first part alone is no literal.
    assert index.find("我们,冲压车间") == index.find("我们 冲压车间") == [Hit("车间", 5, 7)]
    assert index.find("我们要去别的好多个车间") == [Hit("车间", 9, 11)]
    # The nearest second part, and the first part still a literal of its own when it is one.
    both = TermIndex({"我们…车间": {"@my_work"}, "我们": {"@we"}}, gap=6)
    assert both.find("我们车间车间") == [Hit("我们…车间", 0, 4), Hit("我们", 0, 2)]
