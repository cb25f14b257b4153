"""``yuejuan grade-file``: grade a CSV/XLSX file on every core, without a server or database."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ..errors import UnknownRubricError
from ..registry import RubricRegistry
from ..rubric import load_rubric_dir
from . import grading
from .files import csv_bytes, export_header, export_row, read_submissions, write_xlsx

__all__ = ["GradeFileSummary", "grade_file"]


@dataclass(frozen=True, slots=True)
class GradeFileSummary:
    total: int
    errors: int
    seconds: float
    output: Path
    header_row: int | None = None  # the row of a CSV or XLSX holding the header (a title may stand above it)


def _context() -> multiprocessing.context.BaseContext:
    # fork shares the rubrics compiled here; spawn (other platforms) compiles them per worker.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def grade_file(
    source: Path,
    output: Path,
    *,
    rubric_id: str,
    rubrics_dir: Path,
    max_answer_chars: int,
    workers: int,
    chunk_size: int = 50,
    progress: bool = True,
) -> GradeFileSummary:
    """Grade every submission of ``source`` and write ``output`` (.csv or .xlsx), in input order."""
    parsed = read_submissions(source.read_bytes(), source.name, limit=10_000_000)  # a bad file fails fast
    loaded = load_rubric_dir(rubrics_dir)
    if rubric_id not in {r.id for r in loaded.values()}:
        raise UnknownRubricError(rubric_id)  # so does an unknown rubric: before compiling takes seconds
    registry = RubricRegistry.from_loaded(loaded)
    started = time.perf_counter()  # grading time: grading and writing, not compiling rubrics
    rubric = registry.get(rubric_id).rubric
    concept_ids = [c.id for c in rubric.concepts]
    grading.init_worker(str(rubrics_dir), max_answer_chars, registry)
    rows = parsed.rows
    out: list[Sequence[object] | None] = [None] * len(rows)
    errors = 0
    context = _context()
    initializer = None
    if context.get_start_method() != "fork":
        initializer = partial(grading.init_worker, str(rubrics_dir), max_answer_chars)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=initializer) as pool:
        futures: dict[Future[list[grading.Outcome]], int] = {}
        for first in range(0, len(rows), chunk_size):
            items = [(i, rows[i].answer) for i in range(first, min(first + chunk_size, len(rows)))]
            futures[pool.submit(grading.grade_chunk, rubric_id, rubric.version, items)] = len(items)
        from rich.progress import Progress

        with Progress(disable=not progress, transient=False) as bar:
            task = bar.add_task(f"阅卷 {source.name}", total=len(rows))
            for future in as_completed(futures):
                for o in future.result():
                    row = rows[o.seq]
                    error = f"{o.error_code}: {o.error_message}" if o.error_code else None
                    errors += error is not None
                    out[o.seq] = export_row(row.id, row.extra, parsed.columns, concept_ids, o.result, error)
                bar.advance(task, futures[future])
    table = [export_header(parsed.columns, concept_ids), *(r for r in out if r is not None)]
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix.lower() == ".xlsx":
        write_xlsx(table, output)
    else:
        with output.open("wb") as sink:
            for piece in csv_bytes(table):
                sink.write(piece)
    return GradeFileSummary(len(rows), errors, time.perf_counter() - started, output, parsed.header_row)
