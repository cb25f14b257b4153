"""TF-IDF similarity over word and character n-grams.

:class:`TfidfModel` follows scikit-learn's estimator conventions: parameters are stored
unchanged in ``__init__``, :meth:`fit` learns the vocabularies and IDF weights with
scikit-learn's ``TfidfVectorizer`` and returns ``self``, learned values end in ``_``, and
what is saved is plain JSON. :meth:`transform` recomputes exactly what
``TfidfVectorizer.transform`` would (sublinear tf, idf, l2 norm — a test holds it to
that) without the per-call validation overhead that would dominate grading a short answer.
"""

from __future__ import annotations

import math
import operator
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise, repeat
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["Doc", "FeatureCounts", "References", "TfidfModel", "char_features", "word_features"]

_SKIP = set(" \n，。、？！；：“”‘’（）《》〈〉【】…—～·-,.;:!?()[]{}<>/\\|\"'`*#@&%$^_=+")
# Deleting with a compiled character class is several times faster than str.translate here.
_DROP = re.compile("[" + re.escape("".join(sorted(_SKIP))) + "]+")


@dataclass(frozen=True, slots=True)
class Doc:
    """A piece of normalised text with its words."""

    words: tuple[str, ...]
    text: str


def word_features(doc: Doc, ngram_range: tuple[int, int] = (1, 2)) -> list[str]:
    """Word n-grams of a document, punctuation and spaces left out, Latin lower-cased."""
    words = [w.lower() for w in doc.words if w not in _SKIP and w.strip()]
    low, high = ngram_range
    out: list[str] = []
    for n in range(low, high + 1):
        if n == 1:
            out.extend(words)
        elif n == 2:
            out.extend(map(" ".join, pairwise(words)))
        else:
            out.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return out


def char_features(doc: Doc, ngram_range: tuple[int, int] = (2, 3)) -> list[str]:
    """Character n-grams of a document's text, punctuation and spaces left out."""
    chars = _DROP.sub("", doc.text.lower())
    low, high = ngram_range
    out: list[str] = []
    for n in range(low, high + 1):
        if n == 1:
            out.extend(chars)
        elif n == 2:
            out.extend(map(operator.add, chars, chars[1:]))
        else:
            out.extend(chars[i : i + n] for i in range(len(chars) - n + 1))
    return out


def _vectorizer(analyzer: Any, sublinear_tf: bool, min_df: int, vocabulary: dict[str, int] | None = None) -> Any:
    return TfidfVectorizer(
        analyzer=analyzer, sublinear_tf=sublinear_tf, min_df=min_df, vocabulary=vocabulary, dtype=np.float64
    )


@dataclass(frozen=True)
class FeatureCounts:
    """N-gram counts of a batch of documents: parallel arrays, grouped by row, one entry per (row, col)."""

    row: np.ndarray
    col: np.ndarray
    count: np.ndarray
    n_docs: int

    def merged(self, rows: Sequence[int]) -> FeatureCounts:
        """One document made of the given documents together (their counts added)."""
        chosen = np.zeros(self.n_docs, dtype=bool)
        chosen[list(rows)] = True
        keep = chosen[self.row]
        # Counts are whole numbers: summed per feature by bincount (no sort), they are exact.
        summed = np.bincount(self.col[keep], weights=self.count[keep])
        cols = np.flatnonzero(summed)
        return FeatureCounts(np.zeros(len(cols), dtype=np.int64), cols, summed[cols], 1)


@dataclass(frozen=True)
class References:
    """Documents to compare with, kept only on the n-grams they contain (small enough to stay in cache)."""

    index: np.ndarray  # feature -> row of ``matrix``, or -1
    matrix: np.ndarray  # contained features x documents

    @classmethod
    def of(cls, dense: np.ndarray) -> References:
        """From a dense features x documents matrix."""
        present = np.flatnonzero(np.any(dense != 0, axis=1))
        index = np.full(dense.shape[0], -1, dtype=np.int64)
        index[present] = np.arange(len(present))
        return cls(index, np.ascontiguousarray(dense[present]))

    @property
    def n_docs(self) -> int:
        return int(self.matrix.shape[1])


class TfidfModel:
    """Word and character n-gram TF-IDF; the combined cosine is the mean of the two cosines."""

    def __init__(
        self,
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] = (2, 2),
        sublinear_tf: bool = True,
        min_df: int = 1,
    ) -> None:
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.sublinear_tf = sublinear_tf
        self.min_df = min_df

    # -- analyzers bound to this model's parameters (scikit-learn calls them during fit)
    def _words(self, doc: Doc) -> list[str]:
        return word_features(doc, self.word_ngram_range)

    def _chars(self, doc: Doc) -> list[str]:
        return char_features(doc, self.char_ngram_range)

    def fit(self, docs: Sequence[Doc]) -> TfidfModel:
        """Learn vocabularies and IDF weights from ``docs`` with scikit-learn."""
        min_df = self.min_df if len(docs) >= self.min_df else 1
        word = _vectorizer(self._words, self.sublinear_tf, min_df).fit(docs)
        char = _vectorizer(self._chars, self.sublinear_tf, min_df).fit(docs)
        self.word_vocabulary_ = {k: int(v) for k, v in sorted(word.vocabulary_.items())}
        self.word_idf_ = [float(x) for x in word.idf_]
        self.char_vocabulary_ = {k: int(v) for k, v in sorted(char.vocabulary_.items())}
        self.char_idf_ = [float(x) for x in char.idf_]
        self.n_documents_ = len(docs)
        return self

    @property
    def n_features(self) -> int:
        return len(self.word_idf_) + len(self.char_idf_)

    def sklearn_vectorizers(self) -> tuple[Any, Any]:
        """The equivalent fitted scikit-learn vectorizers (used to check :meth:`transform`)."""
        word = _vectorizer(self._words, self.sublinear_tf, 1, self.word_vocabulary_)
        word.idf_ = np.array(self.word_idf_)
        char = _vectorizer(self._chars, self.sublinear_tf, 1, self.char_vocabulary_)
        char.idf_ = np.array(self.char_idf_)
        return word, char

    def _block(
        self, features: list[str], vocabulary: dict[str, int], idf: np.ndarray, offset: int
    ) -> tuple[np.ndarray, np.ndarray]:
        indices: list[int] = []
        counts: list[int] = []
        for feature, count in Counter(features).items():
            index = vocabulary.get(feature)
            if index is not None:
                indices.append(index)
                counts.append(count)
        if not indices:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        where = np.array(indices, dtype=np.int64)
        tf = np.array(counts, dtype=np.float64)
        weights = ((1.0 + np.log(tf)) if self.sublinear_tf else tf) * idf[where]
        weights /= math.sqrt(float(weights @ weights)) * math.sqrt(2.0)
        return where + offset, weights

    def vector(self, doc: Doc) -> tuple[np.ndarray, np.ndarray]:
        """One document's row of :meth:`transform` as (feature indices, values)."""
        wi, wv = self._block(self._words(doc), self.word_vocabulary_, self._word_idf, 0)
        ci, cv = self._block(self._chars(doc), self.char_vocabulary_, self._char_idf, len(self.word_idf_))
        return np.concatenate([wi, ci]), np.concatenate([wv, cv])

    @property
    def _word_idf(self) -> np.ndarray:
        cached: np.ndarray | None = self.__dict__.get("_word_idf_array")
        if cached is None:
            cached = self.__dict__["_word_idf_array"] = np.array(self.word_idf_, dtype=np.float64)
        return cached

    @property
    def _char_idf(self) -> np.ndarray:
        cached: np.ndarray | None = self.__dict__.get("_char_idf_array")
        if cached is None:
            cached = self.__dict__["_char_idf_array"] = np.array(self.char_idf_, dtype=np.float64)
        return cached

    def transform(self, docs: Sequence[Doc]) -> csr_matrix:
        """Rows of word block ⊕ character block, each l2-normalised and scaled by 1/√2."""
        rows = [self.vector(doc) for doc in docs]
        indptr = np.cumsum([0, *(len(i) for i, _ in rows)])
        indices = np.concatenate([i for i, _ in rows]) if rows else np.zeros(0, dtype=np.int64)
        data = np.concatenate([v for _, v in rows]) if rows else np.zeros(0)
        return csr_matrix((data, indices, indptr), shape=(len(docs), self.n_features))

    def count(self, docs: Sequence[Doc]) -> FeatureCounts:
        """Look the n-grams of ``docs`` up; the counts feed :meth:`similarity_matrix`.

        The features of all documents are looked up in C-level ``map`` calls and counted
        with numpy: grading calls this once per answer, for all its sentences at once.
        """
        word_get, char_get = self.word_vocabulary_.get, self._char_columns.get
        ids: list[int] = []  # each document's feature columns (-1: not in the vocabulary)
        sizes: list[int] = []
        for doc in docs:
            before = len(ids)
            ids.extend(map(word_get, self._words(doc), repeat(-1)))
            ids.extend(map(char_get, self._chars(doc), repeat(-1)))
            sizes.append(len(ids) - before)
        n_features = self.n_features
        cols = np.array(ids, dtype=np.int64)
        rows = np.repeat(np.arange(len(docs), dtype=np.int64), sizes)
        keep = cols >= 0
        keys, counts = np.unique(rows[keep] * n_features + cols[keep], return_counts=True)
        return FeatureCounts(keys // n_features, keys % n_features, counts.astype(np.float64), len(docs))

    def similarity_matrix(self, docs: Sequence[Doc] | FeatureCounts, against: np.ndarray | References) -> np.ndarray:
        """``transform(docs) @ against`` for a dense features x documents matrix, in one batch.

        Equal to the row-by-row product (a test holds it to that), but it does the
        arithmetic for all documents in a few array operations, which is what grading a
        short answer sentence by sentence needs.
        """
        counts = docs if isinstance(docs, FeatureCounts) else self.count(docs)
        if not isinstance(against, References):
            against = References.of(against)
        out = np.zeros((counts.n_docs, against.n_docs))
        if not len(counts.col):
            return out
        row, col = counts.row, counts.col
        weights = ((1.0 + np.log(counts.count)) if self.sublinear_tf else counts.count) * self._idf_all[col]
        block = row * 2 + (col >= len(self.word_idf_))
        norms = np.sqrt(np.bincount(block, weights=weights * weights, minlength=2 * counts.n_docs))
        weights = weights / (norms[block] * math.sqrt(2.0))
        where = against.index[col]
        keep = where >= 0  # only n-grams the references contain add to a dot product
        if keep.any():
            kept_rows = row[keep]
            opens = np.empty(len(kept_rows), dtype=bool)  # where a document's entries start
            opens[0] = True
            np.not_equal(kept_rows[1:], kept_rows[:-1], out=opens[1:])
            starts = np.flatnonzero(opens)
            contributions = weights[keep, None] * against.matrix[where[keep]]
            out[kept_rows[starts]] = np.add.reduceat(contributions, starts, axis=0)
        return out

    @property
    def _char_columns(self) -> dict[str, int]:
        """Character n-gram -> its column in the combined word ⊕ character feature space."""
        cached: dict[str, int] | None = self.__dict__.get("_char_columns_dict")
        if cached is None:
            offset = len(self.word_idf_)
            cached = self.__dict__["_char_columns_dict"] = {k: v + offset for k, v in self.char_vocabulary_.items()}
        return cached

    @property
    def _idf_all(self) -> np.ndarray:
        cached: np.ndarray | None = self.__dict__.get("_idf_all_array")
        if cached is None:
            cached = self.__dict__["_idf_all_array"] = np.array(self.word_idf_ + self.char_idf_, dtype=np.float64)
        return cached

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: parameters and learned values."""
        return {
            "params": {
                "word_ngram_range": list(self.word_ngram_range),
                "char_ngram_range": list(self.char_ngram_range),
                "sublinear_tf": self.sublinear_tf,
                "min_df": self.min_df,
            },
            "n_documents": self.n_documents_,
            "word_vocabulary": self.word_vocabulary_,
            "word_idf": self.word_idf_,
            "char_vocabulary": self.char_vocabulary_,
            "char_idf": self.char_idf_,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TfidfModel:
        params = data["params"]
        model = cls(
            word_ngram_range=tuple(params["word_ngram_range"]),
            char_ngram_range=tuple(params["char_ngram_range"]),
            sublinear_tf=bool(params["sublinear_tf"]),
            min_df=int(params["min_df"]),
        )
        model.word_vocabulary_ = {str(k): int(v) for k, v in data["word_vocabulary"].items()}
        model.word_idf_ = [float(x) for x in data["word_idf"]]
        model.char_vocabulary_ = {str(k): int(v) for k, v in data["char_vocabulary"].items()}
        model.char_idf_ = [float(x) for x in data["char_idf"]]
        model.n_documents_ = int(data["n_documents"])
        return model
