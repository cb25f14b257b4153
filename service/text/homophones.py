"""Homophone misspellings of a word: what a candidate typing pinyin may have picked instead.

A variant replaces one character of the word by a common character with the same toneless
pinyin (工序 → 工续, 客户 → 客护, 相互 → 相乎). Variants that are themselves words of the
dictionary are left out, so real words that merely sound alike do not match.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from pypinyin import lazy_pinyin

from .segment import base_frequencies

__all__ = ["homophone_variants"]

# A character this frequent in jieba's dictionary is common enough to be a typing slip.
_COMMON_CHAR_FREQ = 300
# A variant this frequent as a dictionary word is a real word, not a slip.
_REAL_WORD_FREQ = 20


@lru_cache(maxsize=1)
def _by_sound() -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for word, freq in base_frequencies().items():
        if len(word) == 1 and freq >= _COMMON_CHAR_FREQ and "\u4e00" <= word <= "\u9fff":
            groups[lazy_pinyin(word)[0]].add(word)
    return {sound: frozenset(chars) for sound, chars in groups.items()}


@lru_cache(maxsize=4096)
def homophone_variants(word: str) -> tuple[str, ...]:
    """Misspellings of ``word`` with one character swapped for a homophone, sorted."""
    by_sound = _by_sound()
    freq = base_frequencies()
    out: set[str] = set()
    for i, ch in enumerate(word):
        if not "\u4e00" <= ch <= "\u9fff":
            continue
        for other in by_sound.get(lazy_pinyin(ch)[0], ()):
            if other == ch:
                continue
            variant = word[:i] + other + word[i + 1 :]
            if freq.get(variant, 0) < _REAL_WORD_FREQ:
                out.add(variant)
    return tuple(sorted(out))
