"""Shared fixtures: the real rubrics, compiled once, and a real server when a test needs one."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest
import yaml
from support import ServerProcess, store_key

from service.registry import RubricRegistry
from service.scoring import CompiledRubric

ROOT = Path(__file__).resolve().parent.parent
RUBRICS = ROOT / "rubrics"
TEST_RUBRICS = Path(__file__).resolve().parent / "data" / "rubrics"
LMS_ORIGIN = "https://lms.example.edu"


@pytest.fixture(scope="session")
def registry() -> RubricRegistry:
    return RubricRegistry.from_dir(RUBRICS)


@pytest.fixture(scope="session")
def ic(registry: RubricRegistry) -> CompiledRubric:
    """The internal-customer rubric, compiled."""
    return registry.get("internal-customer")


@pytest.fixture(scope="session")
def waste() -> CompiledRubric:
    """A second rubric on another topic, from the test data."""
    return RubricRegistry.from_dir(TEST_RUBRICS).get("waste-sorting")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def yuejuan(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run the `yuejuan` command as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def together(*calls: Callable[[], Any]) -> list[Any]:
    """Independent calls (commands run as a user runs them) made at the same time; their results in order.
    Each command spends seconds of one core loading the grading engine: side by side they use two."""
    with ThreadPoolExecutor(len(calls)) as pool:
        return [future.result() for future in [pool.submit(call) for call in calls]]


def xlsx_bytes(rows: Sequence[Sequence[object]], number_formats: dict[str, str] | None = None) -> bytes:
    """A workbook as openpyxl writes it: ``rows`` on its sheet, the cells of ``number_formats`` (a cell
    reference such as "A3" to a number format such as "000000") shown through that format."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    for ref, number_format in (number_formats or {}).items():
        sheet[ref].number_format = number_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def padded_ids_xlsx() -> bytes:
    """An exam office's sheet: a title in row 1, the header in row 2, and candidate ids kept as numbers
    shown through formats of zeros (1234 shown as 001234), as are class numbers (3 shown as 03). Read as
    shown, the ids are 001234, 0056, 00260001, 000789 (a text cell) and 4321 (format #,##0, not
    interpreted)."""
    rows = [
        ["2026年秋季考试 第3题"],
        ["考号", "作答", "班级"],
        [1234, "上级给下级安排任务,上级就是下级的客户。", 3],
        [56, "下一道工序就是上一道工序的客户。", 12],
        [260001, "部门之间互相提出需要,互为客户。", 3],
        ["000789", "服务是义务,要求服务是权利。", "03"],
        [4321, "内部客户关系是相互的。", 1],
    ]
    return xlsx_bytes(rows, {"A3": "000000", "C3": "00", "A4": "0000", "C4": "00", "A5": "00000000", "A7": "#,##0"})


def create_key(database_url: str, role: str, name: str = "tests") -> str:
    """A real API key, as `yuejuan keys create` makes it (see support.store_key)."""
    return store_key(database_url, role, name)


@contextmanager
def run_server(workdir: Path, env: dict[str, str]) -> Iterator[str]:
    """A real `yuejuan serve` process on a free port with these settings; yields its base URL."""
    port = _free_port()
    full_env = {**os.environ, "YUEJUAN_RUBRICS_DIR": str(RUBRICS), **env}
    log = workdir / "server.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=full_env,
            cwd=workdir,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start in 60 s")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The key database of the shared test server: a fresh SQLite file."""
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'yuejuan.db'}"


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[ServerProcess]:
    """The shared real server: limits high enough for the whole suite, one CORS origin allowed. It queues
    jobs but runs none (they stay queued until cancelled), and its log file is at hand."""
    folder = tmp_path_factory.mktemp("server")
    env = {
        "YUEJUAN_DATABASE_URL": database_url,
        "YUEJUAN_MAX_BODY_BYTES": str(2 * 1024 * 1024),
        "YUEJUAN_RATE_LIMIT_CHECK": "100000",
        "YUEJUAN_RATE_LIMIT_CHECK_ADDRESS": "100000",
        "YUEJUAN_RATE_LIMIT_VISITOR_TOKENS": "100000",
        "YUEJUAN_RATE_LIMIT_GRADE": "100000",
        "YUEJUAN_CORS_ORIGINS": LMS_ORIGIN,
        "YUEJUAN_RUN_JOBS": "false",
    }
    server = ServerProcess(env, folder / "server.log").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def server(shared_server: ServerProcess) -> str:
    """The base URL of the shared server."""
    return shared_server.url


@pytest.fixture(scope="session")
def paused(shared_server: ServerProcess) -> ServerProcess:
    """The shared server, for the tests of jobs that stay queued and of what the operator sees (its log,
    its metrics): each checks only what its own requests did."""
    return shared_server


@pytest.fixture(scope="session")
def grader_key(database_url: str) -> str:
    return create_key(database_url, "grader")


@pytest.fixture(scope="session")
def grader(server: str, grader_key: str) -> Iterator[httpx.Client]:
    """A client of the shared server that sends a grader key, as an LMS would."""
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {grader_key}"}, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def school(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server that requires student keys, grading a rubric that hides the score from students."""
    workdir = tmp_path_factory.mktemp("school")
    rubrics = workdir / "rubrics"
    rubrics.mkdir()
    rubric = yaml.safe_load((TEST_RUBRICS / "waste-sorting.yaml").read_text(encoding="utf-8"))
    rubric.setdefault("settings", {})["show_score_to_students"] = False
    (rubrics / "waste-sorting.yaml").write_text(yaml.safe_dump(rubric, allow_unicode=True), encoding="utf-8")
    database_url = f"sqlite:///{workdir / 'keys.db'}"
    env = {
        "YUEJUAN_DATABASE_URL": database_url,
        "YUEJUAN_RUBRICS_DIR": str(rubrics),
        "YUEJUAN_CHECK_REQUIRES_KEY": "true",
    }
    with run_server(workdir, env) as url:
        yield url, database_url


@pytest.fixture(scope="session")
def job_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server with a job runner and the default body limits, shared by the job and hostile-input tests:
    small chunks (a job of a few dozen submissions spans several), webhooks signed and allowed to
    127.0.0.1 with a short backoff, grading not rate-limited. Its folder holds its log and jobs.db."""
    folder = tmp_path_factory.mktemp("jobs")
    env = {
        "YUEJUAN_DATABASE_URL": f"sqlite:///{folder / 'jobs.db'}",
        "YUEJUAN_JOB_CHUNK_SIZE": "7",
        "YUEJUAN_WEBHOOK_SECRET": "exam-board-secret",
        "YUEJUAN_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "YUEJUAN_WEBHOOK_BACKOFF_SECONDS": "0.05",
        "YUEJUAN_RATE_LIMIT_GRADE": "0",
    }
    server = ServerProcess(env, folder / "server.log").start()
    yield server
    server.stop()


def _unavailable(message: str) -> NoReturn:
    """A server a test needs is down: skip, but fail under CI, where .ci/run starts it."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


PG_URL = os.environ.get("YUEJUAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def postgres() -> str:
    """The test PostgreSQL server's URL; skips when unreachable, fails instead under CI."""
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_URL)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        message = (
            f"PostgreSQL unreachable at {PG_URL} ({type(error).__name__}); start it or set YUEJUAN_TEST_POSTGRES_URL"
        )
        _unavailable(message)
    finally:
        engine.dispose()
    return PG_URL


@pytest.fixture
def pg_schema(postgres: str) -> Iterator[str]:
    """A fresh, empty schema on the test PostgreSQL server; yields a URL that uses it."""
    from sqlalchemy import create_engine, text

    name = f"yj_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {name}"))
    try:
        yield f"{postgres}?options=-csearch_path%3D{name}"
    finally:
        with engine.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {name} CASCADE"))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty job store on each backend in turn: a new SQLite file, then a new PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.db'}"
    return str(request.getfixturevalue("pg_schema"))


REDIS_URL = os.environ.get("YUEJUAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def redis_server() -> str:
    """The test Redis server's URL (database 15); skips when unreachable, fails instead under CI."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception as error:
        message = f"Redis unreachable at {REDIS_URL} ({type(error).__name__}); start it or set YUEJUAN_TEST_REDIS_URL"
        _unavailable(message)
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def broker(redis_server: str) -> Iterator[tuple[str, str]]:
    """A queue of its own on the test Redis server (concurrent runs do not meet); yields (url, queue).
    Afterwards the queue and the messages that killed workers left unacknowledged are removed."""
    import json

    import redis

    queue = f"yj-test-{uuid.uuid4().hex[:12]}"
    yield redis_server, queue
    client = redis.Redis.from_url(redis_server)
    try:
        if keys := [*client.keys(f"{queue}*"), *client.keys(f"_kombu.binding*.{queue}")]:
            client.delete(*keys)
        for tag, raw in client.hgetall("unacked").items():
            if json.loads(raw)[2] == queue:  # [message, exchange, routing key]
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
    finally:
        client.close()
