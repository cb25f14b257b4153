"""Text pipeline: normalisation, sentence splitting, segmentation, negation scope. Pure functions."""

from __future__ import annotations

from .negation import NegationScope, Negator
from .normalize import NormalizedText, normalize, to_simplified
from .segment import Segmenter, Token
from .sentences import Sentence, split_sentences

__all__ = [
    "NegationScope",
    "Negator",
    "NormalizedText",
    "Segmenter",
    "Sentence",
    "Token",
    "normalize",
    "split_sentences",
    "to_simplified",
]
