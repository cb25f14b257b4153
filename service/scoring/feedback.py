"""Words a student or an administrator reads, in Simplified Chinese."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["FLAG_MESSAGES", "REVIEW_FLAGS", "comment", "flag_message"]

FLAG_MESSAGES = {
    "empty": "作答为空,未获得分数。",
    "too_short": "作答过短(约 {length} 字,建议 {expected} 字左右),可能未能充分展开。",
    "keyword_list": "作答主要是关键词的罗列,没有用完整的句子加以说明,罗列的词语不计分。",
    "copied_prompt": "作答大量照抄题目原文,照抄部分不计分。",
    "repetitive": "作答中有重复的句子或段落,重复内容只计一次。",
    "off_topic": "作答内容与本题关系不大(偏题),请人工复核。",
    "contradiction": "作答中有与要点相反的表述({concepts}),相关要点不计分。",
}
# Flags that ask a human to look again; "empty" and "too_short" speak for themselves.
REVIEW_FLAGS = frozenset({"keyword_list", "copied_prompt", "repetitive", "off_topic", "contradiction"})


def flag_message(code: str, **values: object) -> str:
    """The message for a flag, with its details filled in."""
    return FLAG_MESSAGES[code].format(**values)


def _score_text(value: float) -> str:
    return f"{value:g}"


def comment(
    *, score: float, max_score: float, met: Sequence[str], partial: Sequence[str], missing: Sequence[str]
) -> str:
    """An overall comment: the score, what the answer covers, and what it still lacks."""
    parts = [f"得分 {_score_text(score)}/{_score_text(max_score)}。"]
    if met:
        parts.append("已答到:" + "、".join(met) + "。")
    if partial:
        parts.append("提到但未充分说明:" + "、".join(partial) + "。")
    if missing:
        parts.append("尚未涉及:" + "、".join(missing) + "。")
    if not met and not partial:
        parts.append("请围绕题目要求展开作答。")
    return "".join(parts)
