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
