"""Pydantic's error types, worded in Chinese (the 422s over HTTP are in test_http.py)."""

from __future__ import annotations

from service.validation import chinese_message


def test_an_unknown_error_type_gets_a_chinese_fallback_not_english() -> None:
    error = {"type": "some_future_type", "msg": "Input should be something new", "ctx": {"x": 1}}
    assert chinese_message(error) == "取值无效。"


def test_context_fills_the_message() -> None:
    error = {
        "type": "too_long",
        "msg": "List should have at most 2 items",
        "ctx": {"max_length": 2, "actual_length": 3},
    }
    assert chinese_message(error) == "至多允许 2 项,实际为 3 项。"
    assert chinese_message({"type": "enum", "ctx": {"expected": "'admin', 'grader' or 'student'"}}) == (
        "须为以下取值之一:'admin'、'grader'、'student'。"
    )
