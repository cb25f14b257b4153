"""The ``yuejuan`` command: serve the API, run a worker, grade, check rubric files, fit TF-IDF, manage API keys."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from .errors import RubricError, YuejuanError
from .settings import Settings

if TYPE_CHECKING:
    # Importing the corpus tools loads scikit-learn: a second or more that `keys` and `serve --help` need not wait.
    from .corpus import LabeledAnswer

__all__ = ["main"]


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from .api.server import serve

    host, port = args.host or settings.host, args.port or settings.port
    return serve(settings, host=host, port=port, workers=args.workers or settings.http_workers)


def _cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.distributed:
        print(
            "error [no_broker]: set YUEJUAN_BROKER_URL (e.g. redis://127.0.0.1:6379/0) to run workers", file=sys.stderr
        )
        return 2
    from .jobs.worker import run_worker

    queues = [q.strip() for q in (args.queues or settings.job_queue).split(",") if q.strip()]
    return run_worker(settings, concurrency=args.concurrency or settings.workers(), queues=queues, pool=args.pool)


def _read_answer(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    return Path(source).read_text(encoding="utf-8")


def _cmd_grade(args: argparse.Namespace, settings: Settings) -> int:
    from .registry import RubricRegistry

    registry = RubricRegistry.from_dir(args.rubrics_dir or settings.rubrics_dir)
    answer = _read_answer(args.file)
    if len(answer) > settings.max_answer_chars:
        from .errors import AnswerTooLongError

        raise AnswerTooLongError(len(answer), settings.max_answer_chars)
    result = registry.grade(args.rubric, answer)
    print(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2 if args.pretty else None))
    return 0


def _cmd_grade_file(args: argparse.Namespace, settings: Settings) -> int:
    from .jobs.offline import grade_file

    output = Path(args.output) if args.output else Path(args.input).with_suffix(".graded.csv")
    summary = grade_file(
        Path(args.input),
        output,
        rubric_id=args.rubric,
        rubrics_dir=settings.rubrics_dir,
        max_answer_chars=settings.max_answer_chars,
        workers=args.workers or settings.workers(),
        progress=not args.quiet,
    )
    rate = summary.total / summary.seconds if summary.seconds else 0.0
    print(
        f"已评 {summary.total} 份,其中 {summary.errors} 份无法评分(见 error 列);"
        f"用时 {summary.seconds:.1f} 秒({rate:.1f} 份/秒)→ {summary.output}",
        file=sys.stderr,
    )
    return 0


def _cmd_rubric_check(args: argparse.Namespace, settings: Settings) -> int:
    from .rubric import load_rubric

    failed = 0
    for file in args.files:
        try:
            rubric = load_rubric(file)
        except RubricError as error:
            failed += 1
            for problem in error.problems:
                print(problem, file=sys.stderr)
            continue
        print(f"{file}: ok ({rubric.id} {rubric.version}, {len(rubric.concepts)} concepts, max {rubric.max_score:g})")
    return 1 if failed else 0


def _cmd_rubric_fit(args: argparse.Namespace, settings: Settings) -> int:
    from .corpus import fit_tfidf

    out = fit_tfidf(Path(args.file), [Path(p) for p in args.corpus])
    print(f"wrote {out}")
    return 0


def _cmd_keys_create(args: argparse.Namespace, settings: Settings) -> int:
    from .auth import Role, connect, create_key

    record, key = create_key(engine=connect(settings.database_url), role=Role(args.role), name=args.name)
    # The key alone on standard output, so that scripts can capture it; it is not stored and never shown again.
    print(key)
    print(f"created {record.role} key {record.key_id}; store it now, it cannot be shown again", file=sys.stderr)
    return 0


def _cmd_keys_list(args: argparse.Namespace, settings: Settings) -> int:
    from .auth import connect, list_keys

    keys = list_keys(engine=connect(settings.database_url))
    print(f"{'KEY ID':<10} {'ROLE':<8} {'CREATED (UTC)':<20} {'STATUS':<8} NAME")
    for key in keys:
        created = key.created_at.strftime("%Y-%m-%d %H:%M:%S")
        print(f"{key.key_id:<10} {key.role:<8} {created:<20} {'active' if key.active else 'revoked':<8} {key.name}")
    return 0


def _cmd_keys_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from .auth import connect, revoke_key

    engine = connect(settings.database_url)
    missing = [key_id for key_id in args.key_ids if not revoke_key(engine=engine, key_id=key_id)]
    for key_id in missing:
        print(f"error [unknown_key]: no active key with id {key_id!r}", file=sys.stderr)
    for key_id in args.key_ids:
        if key_id not in missing:
            print(f"revoked {key_id}")
    return 1 if missing else 0


def _labeled_rows(args: argparse.Namespace, settings: Settings) -> list[LabeledAnswer]:
    from .corpus import CorpusError, read_labeled

    path = Path(args.labeled) if args.labeled else _default_corpus(settings, args.rubric)
    rows = read_labeled(path)
    if args.split:
        rows = [r for r in rows if r.split == args.split]
    if not rows:
        raise CorpusError(f"{path}: no labeled answers" + (f" in split {args.split!r}" if args.split else ""))
    return rows


def _default_corpus(settings: Settings, rubric_id: str) -> Path:
    return Path(settings.rubrics_dir).resolve().parent / "corpus" / rubric_id / "answers.jsonl"


def _cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from .evaluation import evaluate, write_report
    from .registry import RubricRegistry

    compiled = RubricRegistry.from_dir(settings.rubrics_dir).get(args.rubric)
    report = evaluate(compiled, _labeled_rows(args, settings), folds=args.folds)
    print(report.text(top=args.top))
    if args.report:
        for path in write_report(report, Path(args.report)):
            print(f"wrote {path}")
    return 0


def _cmd_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from .evaluation import evaluate, fit_calibration
    from .registry import RubricRegistry
    from .rubric import load_rubric_dir
    from .scoring import ENGINE_VERSION, calibration_path

    paths = {rubric.id: path for path, rubric in load_rubric_dir(settings.rubrics_dir).items()}
    if args.rubric not in paths:
        from .errors import UnknownRubricError

        raise UnknownRubricError(args.rubric)
    registry = RubricRegistry.from_dir(settings.rubrics_dir)
    # Fit on the rules' own evidence: a stored calibration plays no part in it.
    import dataclasses

    compiled = dataclasses.replace(registry.get(args.rubric), calibration=None)
    rows = _labeled_rows(args, settings)
    report = evaluate(compiled, rows, folds=args.folds)
    print(report.text(top=0))
    calibration = fit_calibration(compiled, rows)
    target = calibration_path(paths[args.rubric])
    metrics = {k: v for k, v in report.metrics.items() if k != "confusion"}
    calibration.save(
        target,
        rubric_id=compiled.rubric.id,
        rubric_version=compiled.rubric.version,
        engine_version=ENGINE_VERSION,
        report={"folds": args.folds, "n": len(rows), **metrics},
    )
    print(f"wrote {target}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yuejuan", description="阅卷 Yuejuan: grade Chinese exam answers.")
    parser.add_argument("--rubrics-dir", help="folder of rubric YAML files (default: YUEJUAN_RUBRICS_DIR or ./rubrics)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, help="server processes (default 1; one per core for grading over HTTP)")
    serve.set_defaults(func=_cmd_serve)

    worker = sub.add_parser("worker", help="grade batch jobs sent through the broker (distributed mode)")
    worker.add_argument(
        "--concurrency", type=int, help="grading processes (default: YUEJUAN_JOB_WORKERS, else one per core)"
    )
    worker.add_argument("--queues", help="comma-separated queues to take chunks from (default: YUEJUAN_JOB_QUEUE)")
    worker.add_argument(
        "--pool", choices=["prefork", "solo"], default="prefork", help="solo: grade in this one process (no fork)"
    )
    worker.set_defaults(func=_cmd_worker)

    grade = sub.add_parser("grade", help="grade one answer and print the JSON result")
    grade.add_argument("--rubric", required=True, help="rubric id")
    grade.add_argument("file", nargs="?", default="-", help="answer file (UTF-8), or - for standard input")
    grade.add_argument("--pretty", action="store_true", help="indent the JSON")
    grade.set_defaults(func=_cmd_grade)

    grade_file = sub.add_parser("grade-file", help="grade a CSV/XLSX file (columns id, answer) on every core")
    grade_file.add_argument("input", help="CSV (UTF-8 or GB18030) or XLSX with columns id and answer")
    grade_file.add_argument("--rubric", required=True, help="rubric id")
    grade_file.add_argument("-o", "--output", help="output .csv or .xlsx (default: INPUT.graded.csv)")
    grade_file.add_argument("--workers", type=int, help="grading processes (default: one per core)")
    grade_file.add_argument("--quiet", action="store_true", help="no progress bar")
    grade_file.set_defaults(func=_cmd_grade_file)

    rubric = sub.add_parser("rubric", help="rubric files")
    rubric_sub = rubric.add_subparsers(dest="rubric_command", required=True)
    check = rubric_sub.add_parser("check", help="validate rubric files, reporting every problem")
    check.add_argument("files", nargs="+")
    check.set_defaults(func=_cmd_rubric_check)
    fit = rubric_sub.add_parser("fit-tfidf", help="fit TF-IDF statistics on a corpus and store them beside the rubric")
    fit.add_argument("file", help="the rubric YAML file")
    fit.add_argument("corpus", nargs="+", help="labeled corpus files (JSONL or CSV with an answer column)")
    fit.set_defaults(func=_cmd_rubric_fit)

    keys = sub.add_parser("keys", help="API keys (stored hashed in YUEJUAN_DATABASE_URL)")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="create a key and print it, once")
    create.add_argument("--role", required=True, choices=["admin", "grader", "student"])
    create.add_argument("--name", default="", help="who or what the key is for")
    create.set_defaults(func=_cmd_keys_create)
    listing = keys_sub.add_parser("list", help="list keys (ids, roles, names; never the keys themselves)")
    listing.set_defaults(func=_cmd_keys_list)
    revoke = keys_sub.add_parser("revoke", help="revoke keys by key id")
    revoke.add_argument("key_ids", nargs="+", metavar="KEY_ID")
    revoke.set_defaults(func=_cmd_keys_revoke)

    evaluate = sub.add_parser("evaluate", help="agreement with human scores on a labeled file")
    evaluate.add_argument("--rubric", required=True)
    evaluate.add_argument(
        "--labeled", help="JSONL or CSV: id, answer, score[, concepts] (default: the rubric's corpus)"
    )
    evaluate.add_argument("--folds", type=int, help="cross-validate a calibration with this many folds")
    evaluate.add_argument("--split", help="only rows of this split (e.g. dev, holdout)")
    evaluate.add_argument("--report", help="also write evaluation.json and a PNG plot into this folder")
    evaluate.add_argument("--top", type=int, default=15, help="how many of the largest disagreements to list")
    evaluate.set_defaults(func=_cmd_evaluate)

    calibrate = sub.add_parser("calibrate", help="fit the score calibration on human scores and store it")
    calibrate.add_argument("--rubric", required=True)
    calibrate.add_argument("--labeled", help="JSONL or CSV: id, answer, score (default: the rubric's corpus)")
    calibrate.add_argument("--folds", type=int, default=5, help="folds of the cross-validation reported")
    calibrate.add_argument("--split", help="only rows of this split")
    calibrate.set_defaults(func=_cmd_calibrate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``yuejuan`` console script."""
    args = _parser().parse_args(argv)
    settings = Settings()
    if args.rubrics_dir:
        settings = settings.model_copy(update={"rubrics_dir": Path(args.rubrics_dir)})
    try:
        code: int = args.func(args, settings)
    except YuejuanError as error:
        print(f"error [{error.code}]: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error [io]: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        # The key commands reach a database; its errors are reported, not dumped as tracebacks.
        print(f"error [database]: {error}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
