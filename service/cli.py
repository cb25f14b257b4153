"""The ``yuejuan`` command: serve the API, run a worker, grade, check rubric files, fit TF-IDF, manage API keys,
purge batch jobs."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from .errors import CommandLineError, InvalidJobInputError, RubricError, YuejuanError, os_error_message
from .settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    # Importing the grading engine loads scikit-learn: a second or more that `keys` and `serve --help` need not wait.
    from .corpus import LabeledAnswer
    from .rubric import Rubric

__all__ = ["main"]


def _at_least_one(value: int | None, option: str) -> int | None:
    """A count given on the command line (processes, folds) must be a positive number."""
    if value is not None and value < 1:
        raise CommandLineError("invalid_argument", f"{option} 须为正整数,收到 {value}。")
    return value


def _rubrics_dir(settings: Settings) -> Path:
    """The rubric folder, which must exist: else every rubric would be reported unknown."""
    folder = Path(settings.rubrics_dir)
    if not folder.is_dir():
        state = "不是文件夹" if folder.exists() else "不存在"
        message = f"评分标准文件夹{state}:{folder}(见 --rubrics-dir 或 YUEJUAN_RUBRICS_DIR)。"
        raise CommandLineError("rubrics_dir_missing", message)
    return folder


def _load_rubrics(settings: Settings, rubric_id: str) -> tuple[dict[Path, Rubric], Path]:
    """The rubrics of the folder, loaded but not compiled, and the file of the one named ``rubric_id``.

    Loading takes a fraction of a second, importing the engine and compiling several: a command
    checks the rest of its input against the loaded rubric first, so that a mistake is told at once."""
    from .rubric import load_rubric_dir

    loaded = load_rubric_dir(_rubrics_dir(settings))
    for path, rubric in loaded.items():
        if rubric.id == rubric_id:
            return loaded, path
    from .errors import UnknownRubricError

    raise UnknownRubricError(rubric_id)


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    if args.port is not None and not 1 <= args.port <= 65535:
        # The socket layer would take the port modulo 65536 and listen somewhere else than it says.
        raise CommandLineError("invalid_argument", f"--port 须在 1 到 65535 之间,收到 {args.port}。")
    host, port = args.host or settings.host, args.port or settings.port
    workers = _at_least_one(args.workers, "--workers") or settings.http_workers
    # A server without its rubric folder would start, pass /healthz, and call every rubric unknown.
    _rubrics_dir(settings)
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if metrics_dir is not None and not Path(metrics_dir).is_dir():
        # Else the first metric made fails with the name of a file in it, and nothing about the variable.
        message = f"环境变量 PROMETHEUS_MULTIPROC_DIR 指向的文件夹不存在:{metrics_dir}(请先建好它,或不设此变量)。"
        raise CommandLineError("invalid_setting", message)
    from .api.server import serve  # after the checks: importing the app makes its metrics in that folder

    return serve(settings, host=host, port=port, workers=workers)


def _cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.distributed:
        return _fail("no_broker", "须先设置 YUEJUAN_BROKER_URL(例如 redis://127.0.0.1:6379/0)才能运行 worker。")
    from .jobs.worker import run_worker

    _rubrics_dir(settings)
    queues = [q.strip() for q in (args.queues or settings.job_queue).split(",") if q.strip()]
    concurrency = _at_least_one(args.concurrency, "--concurrency") or settings.workers()
    return run_worker(settings, concurrency=concurrency, queues=queues, pool=args.pool)


def _read_answer(source: str) -> str:
    """An answer file as editors in China save it, read by the CSV reader's rules (UTF-8, UTF-16 with
    BOM, else GB18030, which contains GBK; broken UTF-8 refused rather than read as mojibake)."""
    data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    from .jobs.files import decode_text

    try:
        return decode_text(data, save_as="UTF-8 编码")
    except InvalidJobInputError as error:
        raise CommandLineError("invalid_encoding", f"{'标准输入' if source == '-' else source}:{error}") from None


def _cmd_grade(args: argparse.Namespace, settings: Settings) -> int:
    loaded, _ = _load_rubrics(settings, args.rubric)
    answer = _read_answer(args.file)
    if len(answer) > settings.max_answer_chars:
        from .errors import AnswerTooLongError

        raise AnswerTooLongError(len(answer), settings.max_answer_chars)
    from .registry import RubricRegistry

    result = RubricRegistry.from_loaded(loaded).grade(args.rubric, answer)
    print(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2 if args.pretty else None))
    return 0


def _cmd_grade_file(args: argparse.Namespace, settings: Settings) -> int:
    workers = _at_least_one(args.workers, "--workers") or settings.workers()
    output = Path(args.output) if args.output else Path(args.input).with_suffix(".graded.csv")
    from .jobs.offline import grade_file

    summary = grade_file(
        Path(args.input),
        output,
        rubric_id=args.rubric,
        rubrics_dir=_rubrics_dir(settings),
        max_answer_chars=settings.max_answer_chars,
        workers=workers,
        progress=not args.quiet,
    )
    rate = summary.total / summary.seconds if summary.seconds else 0.0
    if summary.header_row is not None and summary.header_row > 1:
        print(f"表头在第 {summary.header_row} 行,其上各行(标题)未作为作答读取。", file=sys.stderr)
    print(
        f"已评 {summary.total} 份,其中 {summary.errors} 份无法评分(见 error 列);"
        f"用时 {summary.seconds:.1f} 秒({rate:.1f} 份/秒)→ {summary.output}",
        file=sys.stderr,
    )
    return 0


def _cmd_rubric_check(args: argparse.Namespace, settings: Settings) -> int:
    from .errors import RubricProblem
    from .rubric import load_rubric, rubric_advice

    failed = 0
    # The service refuses a folder in which two files define one id: so does the check.
    defined: dict[tuple[Path, str], str] = {}
    for file in args.files:
        try:
            rubric = load_rubric(file)
        except RubricError as error:
            failed += 1
            for problem in error.problems:
                print(problem, file=sys.stderr)
            continue
        first = defined.setdefault((Path(file).resolve().parent, rubric.id), file)
        if first != file:
            failed += 1
            message = f"编号 {rubric.id!r} 已由 {first} 定义:同一文件夹里的评分标准编号须各不相同。"
            print(RubricProblem(file, "id", "duplicate_rubric", message), file=sys.stderr)
            continue
        print(f"{file}: ok({rubric.id} {rubric.version},{len(rubric.concepts)} 个要点,满分 {rubric.max_score:g})")
        # Advice does not fail the check: the rubric works, but a rule of it may not as its author meant.
        for advice in rubric_advice(rubric, str(file)):
            print(f"提示 {advice}")
    return 1 if failed else 0


def _cmd_rubric_fit(args: argparse.Namespace, settings: Settings) -> int:
    from .corpus import fit_tfidf

    out = fit_tfidf(Path(args.file), [Path(p) for p in args.corpus])
    print(f"已写入 {out}")
    return 0


def _key_store(settings: Settings) -> Engine:
    """The key store of ``YUEJUAN_DATABASE_URL``. When that names a SQLite file that does not exist, a new,
    empty database is made there, normal the first time and a mistyped path otherwise: the administrator
    is told, since a key stored there is unknown to a server using the real database."""
    import logging

    from .auth import connect
    from .storage import new_sqlite_file

    created = new_sqlite_file(settings.database_url)
    logging.getLogger("yuejuan.storage").setLevel(logging.ERROR)  # its English warning, said in Chinese here
    engine = connect(settings.database_url, connect_timeout=settings.database_connect_timeout_seconds)
    if created is not None:
        print(f"注意:{created} 原本没有数据库文件,已在此新建一个空数据库。", file=sys.stderr)
    return engine


def _cmd_keys_create(args: argparse.Namespace, settings: Settings) -> int:
    from .auth import Role, create_key

    record, key = create_key(engine=_key_store(settings), role=Role(args.role), name=args.name)
    # The key alone on standard output, so that scripts can capture it; it is not stored and never shown again.
    print(key)
    print(f"已创建 {record.role} 密钥 {record.key_id}:请立即妥善保存,此后无法再次显示。", file=sys.stderr)
    return 0


def _pad(text: str, width: int) -> str:
    """Pad to a width in terminal columns: a Chinese character takes two."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - columns, 0)


def _cmd_keys_list(args: argparse.Namespace, settings: Settings) -> int:
    from .auth import list_keys

    keys = list_keys(engine=_key_store(settings))
    # Roles stay as `--role` takes them; the rest is for the administrator reading it.
    print(" ".join([_pad("密钥编号", 10), _pad("角色", 8), _pad("创建时间(UTC)", 20), _pad("状态", 8), "名称"]))
    for key in keys:
        created = key.created_at.strftime("%Y-%m-%d %H:%M:%S")
        status = "有效" if key.active else "已吊销"
        print(" ".join([_pad(key.key_id, 10), _pad(key.role, 8), _pad(created, 20), _pad(status, 8), key.name]))
    return 0


def _cmd_keys_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from .auth import UnknownKeyError, revoke_key

    engine = _key_store(settings)
    missing = [key_id for key_id in args.key_ids if not revoke_key(engine=engine, key_id=key_id)]
    for key_id in missing:
        _fail(UnknownKeyError.code, str(UnknownKeyError(key_id)))
    for key_id in args.key_ids:
        if key_id not in missing:
            print(f"已吊销 {key_id}")
    return 1 if missing else 0


def _cmd_jobs_purge(args: argparse.Namespace, settings: Settings) -> int:
    from .errors import JobError
    from .jobs import store
    from .storage import Database, new_sqlite_file

    if (missing := new_sqlite_file(settings.database_url)) is not None:
        # A new, empty database would know no job: the path is mistyped.
        raise CommandLineError("database_missing", f"没有数据库文件 {missing}:请检查 YUEJUAN_DATABASE_URL。")
    database = Database(settings.database_url, connect_timeout=settings.database_connect_timeout_seconds)
    database.upgrade()
    failed = False
    try:
        for job_id in args.job_ids:
            try:
                purged = store.purge_job(database, job_id=job_id)  # an administrator: every job
            except JobError as error:
                failed = True
                _fail(error.code, str(error))
                continue
            print(f"已删除作业 {purged.id} 的数据:{purged.submissions} 份作答及其结果。")
    finally:
        database.dispose()
    return 1 if failed else 0


def _labeled_rows(args: argparse.Namespace, settings: Settings, max_score: float) -> list[LabeledAnswer]:
    from .corpus import CorpusError, read_labeled

    path = Path(args.labeled) if args.labeled else _default_corpus(settings, args.rubric)
    rows = read_labeled(path, max_score=max_score)
    if args.split:
        rows = [r for r in rows if r.split == args.split]
    if not rows:
        raise CorpusError(f"{path}:没有作答" + (f"(split 为 {args.split!r} 的)" if args.split else "") + "。")
    scored = sum(1 for r in rows if r.score is not None)
    if not scored:
        raise CorpusError(f"{path}:没有人工评分,须有 score 列(或字段)且至少一行填有分数。")
    if args.folds is not None and args.folds > scored:
        message = f"--folds {args.folds} 多于有人工评分的作答份数({scored}),无法分折。"
        raise CommandLineError("invalid_argument", message)
    return rows


def _check_folds(folds: int | None) -> None:
    if folds is not None and folds < 2:
        raise CommandLineError("invalid_argument", f"--folds 须至少为 2(交叉验证至少分两折),收到 {folds}。")


def _default_corpus(settings: Settings, rubric_id: str) -> Path:
    return Path(settings.rubrics_dir).resolve().parent / "corpus" / rubric_id / "answers.jsonl"


def _cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    _check_folds(args.folds)
    loaded, rubric_file = _load_rubrics(settings, args.rubric)
    # A mistake in the labeled file is told before the rubric is compiled.
    rows = _labeled_rows(args, settings, loaded[rubric_file].max_score)
    from .evaluation import evaluate, write_report
    from .registry import RubricRegistry

    compiled = RubricRegistry.from_loaded(loaded).get(args.rubric)
    report = evaluate(compiled, rows, folds=args.folds)
    print(report.text(top=args.top))
    if args.report:
        for path in write_report(report, Path(args.report)):
            print(f"已写入 {path}")
    return 0


def _cmd_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    _check_folds(args.folds)
    loaded, rubric_file = _load_rubrics(settings, args.rubric)
    # A mistake in the labeled file is told before the rubric is compiled.
    rows = _labeled_rows(args, settings, loaded[rubric_file].max_score)
    import dataclasses

    from .evaluation import evaluate, fit_calibration
    from .registry import RubricRegistry
    from .scoring import ENGINE_VERSION, calibration_path, rubric_digest

    # Fit on the rules' own evidence: a stored calibration plays no part in it.
    compiled = dataclasses.replace(RubricRegistry.from_loaded(loaded).get(args.rubric), calibration=None)
    report = evaluate(compiled, rows, folds=args.folds)
    print(report.text(top=0))
    calibration = fit_calibration(compiled, rows)
    target = calibration_path(rubric_file)
    metrics = {k: v for k, v in report.metrics.items() if k != "confusion"}
    calibration.save(
        target,
        rubric_id=compiled.rubric.id,
        rubric_version=compiled.rubric.version,
        engine_version=ENGINE_VERSION,
        report={"folds": args.folds, "n": len(rows), **metrics},
        rubric_digest=rubric_digest(compiled.rubric),
    )
    print(f"已写入 {target}")
    return 0


# argparse words its errors in English; the administrator at the terminal reads Chinese. Its messages
# (Python 3.11), each with what it says in Chinese.
_ARGPARSE_ERRORS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"argument 命令: invalid choice: (?P<value>.+) \(choose from (?P<choices>.*)\)"),
        "没有命令 {value},可选:{choices}",
    ),
    (
        re.compile(r"argument (?P<name>.+?): invalid choice: (?P<value>.+) \(choose from (?P<choices>.*)\)"),
        "参数 {name} 的取值 {value} 无效,可选:{choices}",
    ),
    (
        re.compile(r"argument (?P<name>.+?): invalid (?:int|float) value: (?P<value>.+)"),
        "参数 {name} 须为数字,收到 {value}",
    ),
    (re.compile(r"argument (?P<name>.+?): expected one argument"), "参数 {name} 后须跟一个值"),
    (re.compile(r"argument (?P<name>.+?): expected at least one argument"), "参数 {name} 后须跟至少一个值"),
    (re.compile(r"argument (?P<name>.+?): (?P<message>.+)"), "参数 {name}:{message}"),
    (re.compile(r"the following arguments are required: (?P<names>.+)"), "缺少必需的参数:{names}"),
    (re.compile(r"unrecognized arguments: (?P<names>.+)"), "无法识别的参数:{names}"),
    (
        re.compile(r"ambiguous option: (?P<option>\S+) could match (?P<matches>.+)"),
        "选项 {option} 有歧义,可能是:{matches}",
    ),
]


class _ChineseHelp(argparse.HelpFormatter):
    def add_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "用法:" if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """argparse in Chinese: headings, the help option and the errors, one line like every other error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{"formatter_class": _ChineseHelp, "add_help": False, **kwargs})
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示此帮助并退出")

    def error(self, message: str) -> NoReturn:
        for pattern, words in _ARGPARSE_ERRORS:
            if matched := pattern.fullmatch(message):
                message = words.format(**matched.groupdict())
                break
        sys.exit(_fail("invalid_argument", f"{message}(用法见 {self.prog} --help)"))


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="yuejuan", description="阅卷 Yuejuan:按评分标准批改中文主观题作答,逐条说明得分。")
    parser.add_argument(
        "--rubrics-dir", metavar="文件夹", help="评分标准 YAML 文件所在文件夹(默认:YUEJUAN_RUBRICS_DIR 或 ./rubrics)"
    )
    sub = parser.add_subparsers(dest="command", metavar="命令", required=True)

    serve = sub.add_parser("serve", help="运行 HTTP 服务")
    serve.add_argument("--host", metavar="地址", help="监听地址(默认:YUEJUAN_HOST 或 127.0.0.1)")
    serve.add_argument("--port", type=int, metavar="端口", help="监听端口(默认:YUEJUAN_PORT 或 8000)")
    serve.add_argument("--workers", type=int, metavar="N", help="服务进程数(默认 1;经 HTTP 大量评分时每个核一个)")
    serve.set_defaults(func=_cmd_serve)

    worker = sub.add_parser("worker", help="批改经消息队列发来的批量作业(分布式模式)")
    worker.add_argument(
        "--concurrency", type=int, metavar="N", help="评分进程数(默认:YUEJUAN_JOB_WORKERS,否则每个核一个)"
    )
    worker.add_argument("--queues", metavar="队列", help="从哪些队列取作业,逗号分隔(默认:YUEJUAN_JOB_QUEUE)")
    worker.add_argument(
        "--pool", choices=["prefork", "solo"], default="prefork", help="solo:在本进程内评分(不创建子进程)"
    )
    worker.set_defaults(func=_cmd_worker)

    grade = sub.add_parser("grade", help="批改一份作答,输出 JSON 结果")
    grade.add_argument("--rubric", required=True, metavar="编号", help="评分标准编号")
    grade.add_argument(
        "file", nargs="?", default="-", metavar="文件", help="作答文件(UTF-8 或 GBK),- 表示标准输入(默认)"
    )
    grade.add_argument("--pretty", action="store_true", help="缩进输出 JSON")
    grade.set_defaults(func=_cmd_grade)

    grade_file = sub.add_parser("grade-file", help="用所有核批改 CSV/XLSX 文件(含 id 与 answer 列)")
    grade_file.add_argument("input", metavar="文件", help="CSV(UTF-8 或 GB18030)或 XLSX,含 id 与 answer 列")
    grade_file.add_argument("--rubric", required=True, metavar="编号", help="评分标准编号")
    grade_file.add_argument("-o", "--output", metavar="输出文件", help="输出 .csv 或 .xlsx(默认:输入文件名.graded.csv)")
    grade_file.add_argument("--workers", type=int, metavar="N", help="评分进程数(默认:每个核一个)")
    grade_file.add_argument("--quiet", action="store_true", help="不显示进度条")
    grade_file.set_defaults(func=_cmd_grade_file)

    rubric = sub.add_parser("rubric", help="评分标准文件")
    rubric_sub = rubric.add_subparsers(dest="rubric_command", metavar="命令", required=True)
    check = rubric_sub.add_parser("check", help="检查评分标准文件,列出所有问题")
    check.add_argument("files", nargs="+", metavar="文件")
    check.set_defaults(func=_cmd_rubric_check)
    fit = rubric_sub.add_parser("fit-tfidf", help="在作答语料上拟合 TF-IDF 统计,保存在评分标准旁")
    fit.add_argument("file", metavar="评分标准", help="评分标准 YAML 文件")
    fit.add_argument("corpus", nargs="+", metavar="语料", help="带标注的语料文件(JSONL,或含 answer 列的 CSV)")
    fit.set_defaults(func=_cmd_rubric_fit)

    keys = sub.add_parser("keys", help="API 密钥(以摘要形式保存在 YUEJUAN_DATABASE_URL 中)")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="命令", required=True)
    create = keys_sub.add_parser("create", help="创建密钥并输出(仅此一次)")
    create.add_argument("--role", required=True, choices=["admin", "grader", "student"], help="密钥的角色")
    create.add_argument("--name", default="", metavar="名称", help="密钥给谁或做什么用")
    create.set_defaults(func=_cmd_keys_create)
    listing = keys_sub.add_parser("list", help="列出密钥(编号、角色、名称;从不显示密钥本身)")
    listing.set_defaults(func=_cmd_keys_list)
    revoke = keys_sub.add_parser("revoke", help="按密钥编号吊销密钥")
    revoke.add_argument("key_ids", nargs="+", metavar="密钥编号")
    revoke.set_defaults(func=_cmd_keys_revoke)

    jobs = sub.add_parser("jobs", help="批量作业(保存在 YUEJUAN_DATABASE_URL 中)")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", metavar="命令", required=True)
    purge = jobs_sub.add_parser("purge", help="永久删除已结束作业的作答与结果(进行中的作业须先取消)")
    purge.add_argument("job_ids", nargs="+", metavar="作业编号")
    purge.set_defaults(func=_cmd_jobs_purge)

    evaluate = sub.add_parser("evaluate", help="在带人工评分的文件上衡量与人工评分的一致程度")
    evaluate.add_argument("--rubric", required=True, metavar="编号", help="评分标准编号")
    evaluate.add_argument(
        "--labeled",
        metavar="文件",
        help="JSONL 或 CSV:id、answer、score[、concepts](默认:该评分标准的语料)",
    )
    evaluate.add_argument("--folds", type=int, metavar="K", help="以 K 折交叉验证校准")
    evaluate.add_argument("--split", metavar="名称", help="只用 split 为此值的行(如 dev、holdout)")
    evaluate.add_argument("--report", metavar="文件夹", help="另把 evaluation.json 和 PNG 图写入此文件夹")
    evaluate.add_argument("--top", type=int, default=15, metavar="N", help="列出分歧最大的前 N 份作答(默认 15)")
    evaluate.set_defaults(func=_cmd_evaluate)

    calibrate = sub.add_parser("calibrate", help="按人工评分拟合分数校准并保存")
    calibrate.add_argument("--rubric", required=True, metavar="编号", help="评分标准编号")
    calibrate.add_argument("--labeled", metavar="文件", help="JSONL 或 CSV:id、answer、score(默认:该评分标准的语料)")
    calibrate.add_argument("--folds", type=int, default=5, metavar="K", help="报告所用交叉验证的折数(默认 5)")
    calibrate.add_argument("--split", metavar="名称", help="只用 split 为此值的行")
    calibrate.set_defaults(func=_cmd_calibrate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``yuejuan`` console script."""
    args = _parser().parse_args(argv)
    try:
        settings = _settings()
        if args.rubrics_dir:
            settings = settings.model_copy(update={"rubrics_dir": Path(args.rubrics_dir)})
        code: int = args.func(args, settings)
    except YuejuanError as error:
        return _fail(error.code, str(error))
    except OSError as error:
        where = f"{error.filename}:" if error.filename is not None else ""
        return _fail("io", where + os_error_message(error))
    except SQLAlchemyError as error:
        # The key commands reach a database; its errors are reported, not dumped as tracebacks.
        # The driver's first line says what failed; the rest is a link to SQLAlchemy's docs.
        return _fail("database", f"无法访问数据库:{str(error).splitlines()[0]}")
    return code


def _fail(code: str, message: str) -> int:
    """One line on standard error, for the administrator at the terminal; exit status 2."""
    print(f"错误 [{code}]:{message}", file=sys.stderr)
    return 2


def _settings() -> Settings:
    """The settings from the environment; a bad value is named with its variable, in Chinese."""
    try:
        return Settings()
    except ValidationError as error:
        from .validation import chinese_message

        problems = []
        for problem in error.errors():
            loc = problem.get("loc") or ()
            name = f"YUEJUAN_{str(loc[0]).upper()}" if loc else "YUEJUAN_*"
            problems.append(f"环境变量 {name} 的值 {problem.get('input')!r} 无效:{chinese_message(problem)}")
        raise CommandLineError("invalid_setting", ";".join(problems)) from None


if __name__ == "__main__":
    sys.exit(main())
