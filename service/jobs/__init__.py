"""Batch grading jobs: storage access, the runner (embedded mode) or the dispatcher and Celery
workers (distributed mode), CSV/XLSX/JSONL in and CSV/XLSX out, the report, webhooks."""

from __future__ import annotations

from .dispatcher import Dispatcher
from .files import (
    InputRow,
    ParsedInput,
    csv_bytes,
    export_header,
    export_row,
    file_kind,
    read_submissions,
    write_xlsx,
)
from .grading import ChunkFailed, Outcome, grade_chunk, init_worker
from .queue import celery_app
from .report import build_report, histogram_png, near_duplicates
from .runner import JobRunner
from .webhook import SIGNATURE_HEADER, check_callback_url, sign

__all__ = [
    "SIGNATURE_HEADER",
    "ChunkFailed",
    "Dispatcher",
    "InputRow",
    "JobRunner",
    "Outcome",
    "ParsedInput",
    "build_report",
    "celery_app",
    "check_callback_url",
    "csv_bytes",
    "export_header",
    "export_row",
    "file_kind",
    "grade_chunk",
    "histogram_png",
    "init_worker",
    "near_duplicates",
    "read_submissions",
    "sign",
    "write_xlsx",
]
