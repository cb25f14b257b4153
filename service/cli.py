"""The ``yuejuan`` command: serve the API, grade an answer, check rubric files, fit TF-IDF."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import RubricError, YuejuanError
from .settings import Settings

__all__ = ["main"]


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from .api import create_app

    app = create_app(settings)
    uvicorn.run(app, host=args.host or settings.host, port=args.port or settings.port, log_level=settings.log_level)
    return 0


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yuejuan", description="阅卷 Yuejuan: grade Chinese exam answers.")
    parser.add_argument("--rubrics-dir", help="folder of rubric YAML files (default: YUEJUAN_RUBRICS_DIR or ./rubrics)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=_cmd_serve)

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
    return code


if __name__ == "__main__":
    sys.exit(main())
