"""The rubrics a running service grades against, compiled once at start-up."""

from __future__ import annotations

import gc
from collections.abc import Mapping
from pathlib import Path

from .errors import UnknownRubricError
from .rubric import Rubric, load_rubric_dir
from .scoring import CompiledRubric, GradeResult, calibration_path, compile_rubric, grade, tfidf_path

__all__ = ["RubricRegistry", "settle_heap"]


class RubricRegistry:
    """Rubrics by id, each compiled with its fitted TF-IDF statistics when present."""

    def __init__(self, compiled: dict[str, CompiledRubric]) -> None:
        self._compiled = dict(sorted(compiled.items()))

    @classmethod
    def from_dir(cls, directory: str | Path) -> RubricRegistry:
        """Load and compile every rubric in ``directory``; raise RubricError listing all problems."""
        return cls.from_loaded(load_rubric_dir(Path(directory)))

    @classmethod
    def from_loaded(cls, loaded: Mapping[Path, Rubric]) -> RubricRegistry:
        """Compile rubrics that :func:`~service.rubric.load_rubric_dir` loaded (file -> rubric), each
        with the fitted statistics stored beside its file. Loading is quick and compiling is not: a
        command can check its other input against the loaded rubrics before it waits for this."""
        compiled = {}
        for path, rubric in loaded.items():
            compiled[rubric.id] = compile_rubric(
                rubric, tfidf_file=tfidf_path(path), calibration_file=calibration_path(path)
            )
        return cls(compiled)

    def ids(self) -> list[str]:
        return list(self._compiled)

    def rubrics(self) -> list[Rubric]:
        return [c.rubric for c in self._compiled.values()]

    def get(self, rubric_id: str) -> CompiledRubric:
        try:
            return self._compiled[rubric_id]
        except KeyError:
            raise UnknownRubricError(rubric_id) from None

    def grade(self, rubric_id: str, answer: str) -> GradeResult:
        return grade(self.get(rubric_id), answer)


def settle_heap() -> None:
    """Put everything a process has loaded so far out of the garbage collector's way.

    Compiled rubrics and the segmenter's dictionary are some 400,000 objects that live as long
    as the process. A full collection walks them all, about a tenth of a second during which the
    process answers nothing: under load, the slowest requests of all. Frozen, they are never
    walked again (and pages a forked worker shares with its parent stay shared). Called once the
    rubrics are loaded, before workers are forked; :func:`gc.unfreeze` hands them back.
    """
    gc.collect()
    gc.freeze()
