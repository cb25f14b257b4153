"""Word segmentation with jieba, one dictionary per rubric.

jieba's module-level functions share one global dictionary, so terms added for one rubric
would change how every other rubric's answers are cut. Each :class:`Segmenter` owns a
private ``jieba.Tokenizer`` whose frequency table starts as a copy of the base dictionary
(loaded from disk once per process) plus the rubric's domain terms.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Iterable
from functools import partial
from itertools import accumulate
from typing import NamedTuple

with warnings.catch_warnings():
    # jieba 0.42.1 opens its HMM model files at import and never closes them.
    warnings.simplefilter("ignore", ResourceWarning)
    import jieba
    import jieba.finalseg

__all__ = ["Segmenter", "Token", "base_frequencies"]

jieba.setLogLevel(logging.WARNING)

_base_lock = threading.Lock()
_base: jieba.Tokenizer | None = None


def _base_tokenizer() -> jieba.Tokenizer:
    global _base
    with _base_lock:
        if _base is None:
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            _base = tokenizer
        return _base


def base_frequencies() -> dict[str, int]:
    """jieba's base dictionary: word -> frequency (read-only)."""
    freq: dict[str, int] = _base_tokenizer().FREQ
    return freq


class Token(NamedTuple):
    """A word of the normalised text: ``text == normalized[start:end]``."""

    text: str
    start: int
    end: int


# Token._make is written in Python; tuple.__new__ builds the same tuple subclass in C.
_new_token = partial(tuple.__new__, Token)


class Segmenter:
    """Cuts Chinese text into words, keeping the given domain terms whole."""

    def __init__(self, terms: Iterable[str] = ()) -> None:
        base = _base_tokenizer()
        tokenizer = jieba.Tokenizer()
        tokenizer.FREQ = dict(base.FREQ)
        tokenizer.total = base.total
        tokenizer.initialized = True
        self.terms = tuple(sorted({t for t in terms if t.strip()}))
        for term in self.terms:
            # A high enough frequency that the term beats any split of it.
            tokenizer.add_word(term, freq=max(tokenizer.suggest_freq(term, tune=False), 20000))
        self._tokenizer = tokenizer
        self._lock = threading.Lock()

    def tokens(self, text: str) -> list[Token]:
        """Segment ``text`` (HMM on, for unseen words) and return tokens with offsets."""
        with self._lock:  # jieba tokenizers are not safe to share between threads
            words: list[str] = self._tokenizer.lcut(text)
        # What jieba's own tokenize() yields, with the offsets summed at C speed.
        ends = list(accumulate(map(len, words)))
        return list(map(_new_token, zip(words, [0, *ends], ends, strict=False)))

    def cut(self, text: str) -> list[str]:
        """Segment ``text`` and return the words only (jieba's own ``lcut``, HMM on)."""
        with self._lock:
            words: list[str] = self._tokenizer.lcut(text)
            return words
