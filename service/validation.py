"""Pydantic's validation errors, worded in Simplified Chinese: an API 422, a bad setting on the CLI.

Pydantic words its messages in English ("Field required", "Input should be a valid integer");
the people who read our errors read Chinese. Each message is chosen by the error's ``type`` (which
a 422 body keeps, with ``loc``, for programs to act on) and filled from its ``ctx``. Messages of
our own validators are already Chinese and pass through; a type not listed here gets a general
message rather than pydantic's English.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["chinese_message"]

_PLAIN: dict[str, str] = {
    "missing": "缺少必填项。",
    "extra_forbidden": "不接受此字段。",
    "string_type": "须为字符串。",
    "string_unicode": "须为有效的 Unicode 字符串。",
    "string_sub_type": "须为字符串。",
    "int_type": "须为整数。",
    "int_parsing": "须为整数。",
    "int_parsing_size": "整数超出可处理的范围。",
    "int_from_float": "须为整数,不能带小数部分。",
    "float_type": "须为数字。",
    "float_parsing": "须为数字。",
    "finite_number": "须为有限的数字。",
    "bool_type": "须为布尔值(true 或 false)。",
    "bool_parsing": "须为布尔值(true 或 false)。",
    "list_type": "须为数组。",
    "tuple_type": "须为数组。",
    "set_type": "须为数组。",
    "dict_type": "须为 JSON 对象。",
    "model_type": "须为 JSON 对象。",
    "model_attributes_type": "须为 JSON 对象。",
    "none_required": "须为 null。",
    "json_invalid": "请求体不是有效的 JSON。",
    "json_type": "须为 JSON 字符串。",
    "url_type": "须为网址字符串。",
    "url_parsing": "不是有效的网址。",
    "url_scheme": "网址协议不受支持。",
    "url_syntax_violation": "不是有效的网址。",
    "url_too_long": "网址过长。",
    "datetime_type": "须为日期时间。",
    "datetime_parsing": "不是有效的日期时间。",
    "date_type": "须为日期。",
    "date_parsing": "不是有效的日期。",
    "uuid_type": "须为 UUID。",
    "uuid_parsing": "不是有效的 UUID。",
    "bytes_type": "须为字节串。",
    "frozen_field": "此字段不可修改。",
}
_WITH_CONTEXT: dict[str, str] = {
    "string_too_short": "长度至少为 {min_length} 个字符。",
    "string_too_long": "长度至多为 {max_length} 个字符。",
    "string_pattern_mismatch": "格式不符合要求(须匹配 {pattern})。",
    "too_short": "至少需要 {min_length} 项,实际为 {actual_length} 项。",
    "too_long": "至多允许 {max_length} 项,实际为 {actual_length} 项。",
    "greater_than": "须大于 {gt}。",
    "greater_than_equal": "须大于或等于 {ge}。",
    "less_than": "须小于 {lt}。",
    "less_than_equal": "须小于或等于 {le}。",
    "multiple_of": "须为 {multiple_of} 的倍数。",
    "literal_error": "须为以下取值之一:{expected}。",
    "enum": "须为以下取值之一:{expected}。",
}
_FALLBACK = "取值无效。"
# Pydantic lists the allowed values as "'a', 'b' or 'c'".
_CHOICES = re.compile(r", | or ")


def _choices(expected: object) -> str:
    return "、".join(part.strip() for part in _CHOICES.split(str(expected)) if part.strip())


def chinese_message(error: Mapping[str, Any]) -> str:
    """The message of one pydantic error (an item of ``ValidationError.errors()``) in Chinese."""
    kind = str(error.get("type", ""))
    if kind in ("value_error", "assertion_error"):
        # Our own validators word their messages for the reader; pydantic prefixes them in English.
        message = str(error.get("msg", ""))
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        return message or _FALLBACK
    if kind in _PLAIN:
        return _PLAIN[kind]
    template = _WITH_CONTEXT.get(kind)
    context = dict(error.get("ctx") or {})
    if template is None:
        return _FALLBACK
    if "expected" in context:
        context["expected"] = _choices(context["expected"])
    try:
        return template.format(**context)
    except (KeyError, IndexError, ValueError):
        return _FALLBACK
