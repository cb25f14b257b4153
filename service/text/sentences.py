"""Split normalised text into sentences, keeping spans.

Sentences end at Chinese or Western terminal marks (already canonicalised to 。！？；) and at
line breaks. A sentence keeps its closing mark, so a question stays recognisable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Sentence", "split_sentences"]

_TERMINALS = "。！？；\n"
# A line break ends a sentence unless the line ends in a comma-like mark (a soft wrap).
_SPLIT = re.compile(r"(?:[^。！？；\n]|(?<=[，、：])\n)*(?:[。！？；]+[”’）]*|\n|$)")
# A sentence built as a question asserts nothing, even without a question mark.
_QUESTION_TAIL = re.compile(r"(吗|呢|难道.*)[。！”]?$")
_QUESTION_HEAD = re.compile(r"^(难道|是否|为什么|为何|怎么|如何|谁|什么)")
_STRIP = " \t\n“”‘’（）()·-—*#>•●○◆■□▪"


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of the normalised text: ``text == normalized[start:end]``."""

    index: int
    start: int
    end: int
    text: str
    is_question: bool


def _is_question(body: str) -> bool:
    if body.endswith("？"):
        return True
    core = body.rstrip("。！；")
    return bool(_QUESTION_TAIL.search(core)) or (bool(_QUESTION_HEAD.match(core)) and "？" in body)


def split_sentences(text: str) -> list[Sentence]:
    """Return the non-empty sentences of ``text`` with their spans, in order."""
    sentences: list[Sentence] = []
    for match in _SPLIT.finditer(text):
        raw = match.group(0)
        if not raw:
            continue
        lead = len(raw) - len(raw.lstrip(_STRIP))
        body = raw.strip(_STRIP)
        if not body or all(ch in _TERMINALS or ch in "，、：" for ch in body):
            continue
        start = match.start() + lead
        end = start + len(body)
        sentences.append(
            Sentence(index=len(sentences), start=start, end=end, text=body, is_question=_is_question(body))
        )
    return sentences
