"""Normalise submitted text while remembering where every character came from.

The grader works on a canonical form of the answer (NFKC, one spelling per punctuation
mark, simplified characters, no invisible characters, no runs of repeated marks), but the
feedback must point at the text the candidate wrote. :class:`NormalizedText` therefore
keeps, for every character of the canonical form, the offset of the original character it
came from.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from opencc import OpenCC

__all__ = ["NormalizedText", "normalize", "to_simplified"]

# Canonical punctuation after NFKC (which turns full-width marks into ASCII ones).
_PUNCT_MAP = {
    ",": "，",
    "﹐": "，",
    "﹑": "、",
    "､": "、",
    "?": "？",
    "!": "！",
    ";": "；",
    ":": "：",
    "｡": "。",
    "︒": "。",
    "(": "（",
    ")": "）",
    "「": "“",
    "」": "”",
    "『": "“",
    "』": "”",
    '"': "“",
    "‘": "“",
    "’": "”",
    "〜": "～",
    "~": "～",
    "\r": "\n",
    "\u2028": "\n",
    "\u2029": "\n",
    "\t": " ",
    "\u3000": " ",
}
# Ellipses: NFKC spells "…" as three ASCII dots, which would read as full stops; an ellipsis is no
# sentence end ("我想……也是一样的").
_ELLIPSES = frozenset("…⋯‥︙")
# Marks whose repetition carries no meaning ("！！！", "。。", "，，").
_COLLAPSIBLE = set("，、。？！；：…～-—·. ")
_ASCII_ALNUM = set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
# Characters that carry no text: zero-width, bidi controls, BOM, soft hyphen.
_INVISIBLE = {
    "\u00ad",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200e",
    "\u200f",
    "\u2060",
    "\ufeff",
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
}


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """Canonical text plus, for each of its characters, the offset in the original.

    ``origin`` has one entry more than ``text``: the original length, so that the end of
    any span maps cleanly.
    """

    original: str
    text: str
    origin: tuple[int, ...]

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a half-open span of ``text`` to the matching span of ``original``."""
        if start >= end:
            pos = self.origin[start]
            return pos, pos
        first = self.origin[start]
        last = self.origin[end - 1]
        # Extend to the end of the original character that produced text[end - 1].
        stop = self.origin[end] if self.origin[end] > last else last + 1
        return first, stop


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset[str]:
    """Characters that OpenCC's traditional → simplified character table changes."""
    import opencc

    table = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    chars: set[str] = set()
    for line in table.read_text(encoding="utf-8").splitlines():
        key, _, values = line.partition("\t")
        if len(key) == 1 and values.split(" ")[0] != key:
            chars.add(key)
    return frozenset(chars)


def to_simplified(text: str) -> str:
    """Convert traditional characters to simplified ones, keeping the length.

    Phrase tables may change the length of a phrase; when they do, fall back to
    converting character by character so that offsets stay one to one.
    """
    if _traditional_chars().isdisjoint(text):
        return text
    converted: str = _t2s().convert(text)
    if len(converted) == len(text):
        return converted
    out = []
    for ch in text:
        one: str = _t2s().convert(ch)
        out.append(one if len(one) == 1 else ch)
    return "".join(out)


def _fold(raw: str) -> str:
    """NFKC, except that every ellipsis mark stays one "…"."""
    if raw in _ELLIPSES:
        return "…"
    return unicodedata.normalize("NFKC", raw) if ord(raw) > 0x7F else raw


def _canonical_chars(original: str) -> tuple[list[str], list[int]]:
    chars: list[str] = []
    origin: list[int] = []
    last = len(original) - 1
    for i, raw in enumerate(original):
        if raw in _INVISIBLE:
            continue
        if raw == "\r" and i < last and original[i + 1] == "\n":
            continue  # a Windows line break (CRLF) is one line break
        folded = _fold(raw)
        for ch in folded:
            ch = _PUNCT_MAP.get(ch, ch)
            if ch != "\n" and unicodedata.category(ch)[0] == "C":
                continue  # control and unassigned characters
            chars.append(ch)
            origin.append(i)
    return chars, origin


def _keeps_ascii_dot(chars: list[str], i: int) -> bool:
    """A dot after a digit ("3.5", "1. ") or inside Latin text ("e.g") is not a full stop."""
    before = chars[i - 1] if i > 0 else ""
    after = chars[i + 1] if i + 1 < len(chars) else ""
    return before.isdigit() or (before in _ASCII_ALNUM and after in _ASCII_ALNUM)


@lru_cache(maxsize=65536)
def _one_to_one(ch: str) -> str | None:
    """The canonical form of ``ch`` when it is exactly one character and needs no context. A dot
    ("." or a full-width "．") is a full stop or not by its neighbours, and "\r" is one line break
    with a "\n" after it: those need the context."""
    if ch in _INVISIBLE or ch == "\r":
        return None
    folded = _fold(ch)
    if len(folded) != 1 or folded == ".":
        return None
    out = _PUNCT_MAP.get(folded, folded)
    if out != "\n" and unicodedata.category(out)[0] == "C":
        return None
    return out


_RUN = re.compile(r"([，、。？！；：…～\-—·. ])\1")


# Chinese is written without spaces between words: a space between two Han characters stands for a
# comma ("客服接到报修 派给工程部 工程部修完回复我们"), typed where the comma is hard to reach.
_SPACE_AS_COMMA = re.compile(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])")


def _spaces_as_commas(text: str) -> str:
    return _SPACE_AS_COMMA.sub("，", text) if " " in text else text


# Characters already seen to stay as they are (most of any answer): checked in one C-level call.
_UNCHANGED: set[str] = set()


def _fast(original: str) -> NormalizedText | None:
    """Normalise without per-character offset bookkeeping when every change is one to one."""
    table: dict[int, str] = {}
    for ch in set(original).difference(_UNCHANGED):
        mapped = _one_to_one(ch)
        if mapped is None:
            return None
        if mapped != ch:
            table[ord(ch)] = mapped
        elif len(_UNCHANGED) < 65536:
            _UNCHANGED.add(ch)
    text = original.translate(table) if table else original
    if _RUN.search(text):
        return None
    return NormalizedText(
        original=original, text=to_simplified(_spaces_as_commas(text)), origin=tuple(range(len(original) + 1))
    )


def normalize(original: str) -> NormalizedText:
    """Return the canonical form of ``original`` with offsets back into it.

    Steps: drop invisible and control characters; NFKC; one canonical mark per punctuation
    (full-width Chinese forms); an ASCII full stop becomes "。" unless it follows a digit, and dots in a
    row or any ellipsis mark become one "…"; runs of the same mark or of spaces collapse to one; a
    space between two Han characters becomes a comma; traditional → simplified characters.
    """
    fast = _fast(original)
    if fast is not None:
        return fast
    chars, origin = _canonical_chars(original)
    dots = [ch == "." for ch in chars]
    for i, ch in enumerate(chars):
        if ch != ".":
            continue
        if (i > 0 and dots[i - 1]) or (i + 1 < len(chars) and dots[i + 1]):
            chars[i] = "…"  # two or more dots typed in a row are an ellipsis ("我想...")
        elif not _keeps_ascii_dot(chars, i):
            chars[i] = "。"
    out_chars: list[str] = []
    out_origin: list[int] = []
    for ch, pos in zip(chars, origin, strict=True):
        if out_chars and ch in _COLLAPSIBLE and out_chars[-1] == ch:
            continue
        if ch == "." and out_chars and out_chars[-1] == "…":
            continue
        out_chars.append(ch)
        out_origin.append(pos)
    text = to_simplified(_spaces_as_commas("".join(out_chars)))
    out_origin.append(len(original))
    return NormalizedText(original=original, text=text, origin=tuple(out_origin))
