"""What the operator of a real server process sees: request ids, JSON logs, readiness, metrics."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import re
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from support import ServerProcess, TcpProxy, api

from conftest import yuejuan
from service.api.app import create_app
from service.jobs import grading
from service.registry import RubricRegistry
from service.settings import Settings
from service.storage import Database

ROOT = Path(__file__).resolve().parents[2]

IC = "internal-customer"
DRAFT = {"rubric_id": IC, "answer": "上级给下级安排任务,上级就是下级的客户。"}


def _log_lines(server: ServerProcess) -> list[dict[str, object]]:
    lines = []
    for line in server.log.read_text(encoding="utf-8").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def _access_entry(server: ServerProcess, request_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [e for e in _log_lines(server) if e.get("request_id") == request_id and e["logger"] == "yuejuan.access"]
        if found:
            assert len(found) == 1
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no access log line for {request_id}")


def _metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text, 0 when absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if match and match[1] == name:
            have = ",".join(sorted((match[2] or "").split(","))) if match[2] else ""
            if have == wanted:
                return float(match[3])
    return 0.0


def test_request_ids_are_taken_or_made_returned_and_logged(paused: ServerProcess) -> None:
    url = paused.url
    mine = api.post(f"{url}/v1/grade", json=DRAFT, headers={"X-Request-ID": "lms-2026-06-07.0001"})
    assert mine.status_code == 200 and mine.headers["x-request-id"] == "lms-2026-06-07.0001"
    made = api.post(f"{url}/v1/grade", json=DRAFT)
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    # An id that is not a short token is not echoed or logged: a new one is made.
    odd = api.post(f"{url}/v1/grade", json=DRAFT, headers={"X-Request-ID": "x" * 200})
    assert re.fullmatch(r"[0-9a-f]{32}", odd.headers["x-request-id"])
    # Refusals carry one too, before and after routing.
    too_big = httpx.post(f"{url}/v1/grade", content=b"x" * (9 * 1024 * 1024), headers={"X-Request-ID": "big-1"})
    assert too_big.status_code == 413 and too_big.headers["x-request-id"] == "big-1"
    no_key = httpx.get(f"{url}/v1/jobs/abc", headers={"X-Request-ID": "nokey-1"})
    assert no_key.status_code == 401 and no_key.headers["x-request-id"] == "nokey-1"
    assert no_key.headers["x-content-type-options"] == "nosniff"

    entry = _access_entry(paused, "lms-2026-06-07.0001")
    assert entry["level"] == "info" and entry["method"] == "POST" and entry["route"] == "/v1/grade"
    assert entry["status"] == 200 and isinstance(entry["duration_ms"], float) and entry["key_id"]
    assert _access_entry(paused, "nokey-1")["route"] == "/v1/jobs/{job_id}"
    assert _access_entry(paused, "big-1")["status"] == 413
    assert all({"time", "level", "logger", "message"} <= set(e) for e in _log_lines(paused))


def test_readyz_when_ready(paused: ServerProcess) -> None:
    response = httpx.get(f"{paused.url}/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "rubrics": "1 loaded"}}


def test_readyz_is_503_without_rubrics(tmp_path: Path) -> None:
    (tmp_path / "rubrics").mkdir()
    env = {"YUEJUAN_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}", "YUEJUAN_RUBRICS_DIR": str(tmp_path / "rubrics")}
    server = ServerProcess(env, tmp_path / "server.log").start()
    try:
        response = httpx.get(f"{server.url}/readyz")
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "not_ready" and "评分标准" in error["message"]
        assert [d["loc"] for d in error["details"]] == [["rubrics"]]
        assert httpx.get(f"{server.url}/healthz").status_code == 200  # alive, just not ready
    finally:
        server.stop()


def test_readyz_metrics_and_requests_follow_the_database(pg_schema: str, tmp_path: Path) -> None:
    real = make_url(pg_schema)
    proxy = TcpProxy(real.port or 5432)
    # A statement waiting over a second for a lock fails, as one would on a busy or stuck database.
    url = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False) + "%20-clock_timeout%3D1000"
    server = ServerProcess({"YUEJUAN_DATABASE_URL": url, "YUEJUAN_RUN_JOBS": "false"}, tmp_path / "s.log").start()
    secret = "学生甲不愿外传的作答:上级给下级安排任务,上级就是下级的客户。"
    try:
        assert httpx.get(f"{server.url}/readyz").status_code == 200
        assert _metric(httpx.get(f"{server.url}/metrics").text, "yuejuan_database_up") == 1
        # A job that cannot be stored is 503, to be sent again, and the answers it held stay out of the log.
        locker = create_engine(pg_schema)
        with locker.connect() as connection:
            connection.execute(text("LOCK TABLE submissions IN ACCESS EXCLUSIVE MODE"))
            job = {"rubric_id": IC, "submissions": [{"id": "S1", "answer": secret}]}
            busy = api.post(f"{server.url}/v1/jobs", json=job, timeout=30)
            connection.rollback()
        locker.dispose()
        assert busy.status_code == 503 and busy.headers["retry-after"] == "5"
        assert busy.json()["error"]["code"] == "database_unavailable"

        # A database that hangs: the requests that need it wait, the rest of the process does not.
        proxy.freeze()
        with ThreadPoolExecutor(max_workers=1) as pool:
            stuck = pool.submit(api.get, f"{server.url}/v1/jobs", timeout=60)
            time.sleep(0.5)
            assert httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200
            assert httpx.post(f"{server.url}/v1/check", json=DRAFT, timeout=5).status_code == 200
            hung = httpx.get(f"{server.url}/readyz", timeout=10)
            assert hung.status_code == 503 and "秒内没有响应" in hung.json()["error"]["message"]
            scrape = httpx.get(f"{server.url}/metrics", timeout=10)
            assert scrape.status_code == 200 and _metric(scrape.text, "yuejuan_database_up") == 0
            assert not stuck.done()
            proxy.thaw()
            assert stuck.result().status_code == 200

        proxy.cut()
        down = httpx.get(f"{server.url}/readyz", timeout=30)
        assert down.status_code == 503
        assert [d["loc"] for d in down.json()["error"]["details"]] == [["database"]]
        assert "数据库" in down.json()["error"]["message"]
        # Requests that need the database say so, never 500; /metrics still reports what it knows.
        jobs = api.get(f"{server.url}/v1/jobs", timeout=30)
        assert jobs.status_code == 503 and jobs.json()["error"]["code"] == "database_unavailable"
        scrape = httpx.get(f"{server.url}/metrics", timeout=30)
        assert scrape.status_code == 200 and _metric(scrape.text, "yuejuan_database_up") == 0
        assert _metric(scrape.text, "yuejuan_http_requests_total", method="GET", route="/v1/jobs", status="503") == 1
        assert "yuejuan_job_queue_depth" not in scrape.text
        proxy.start()
        deadline = time.monotonic() + 20
        while httpx.get(f"{server.url}/readyz", timeout=30).status_code != 200:
            assert time.monotonic() < deadline, "not ready again after the database came back"
            time.sleep(0.2)
        assert _metric(httpx.get(f"{server.url}/metrics").text, "yuejuan_database_up") == 1
    finally:
        proxy.cut()
        server.stop()
    log = server.log.read_text(encoding="utf-8")
    assert "database unavailable on POST /v1/jobs" in log and "database unavailable on GET /v1/jobs" in log
    assert secret not in log and '"level": "error"' not in log


def test_a_database_host_that_never_answers_fails_requests_fast(pg_schema: str, tmp_path: Path) -> None:
    """A database host that accepts connections and then says nothing (a firewall dropping packets, a
    hung server) held each request forever: libpq has no connect timeout by default."""
    real = make_url(pg_schema)
    proxy = TcpProxy(real.port or 5432)
    url = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    env = {"YUEJUAN_DATABASE_URL": url, "YUEJUAN_RUN_JOBS": "false", "YUEJUAN_DATABASE_CONNECT_TIMEOUT_SECONDS": "2"}
    server = ServerProcess(env, tmp_path / "s.log").start()
    try:
        assert api.get(f"{server.url}/v1/jobs", timeout=30).status_code == 200
        proxy.cut()  # the connections held are gone; new ones are accepted and never answered
        proxy.freeze()
        proxy.start()
        response = api.get(f"{server.url}/v1/jobs", timeout=30)  # under PostgreSQL's own 60 s for a silent client
        assert response.status_code == 503 and response.headers["retry-after"] == "5"
        assert response.json()["error"]["code"] == "database_unavailable"
        assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
    finally:
        proxy.thaw()
        proxy.cut()
        server.stop()
    assert "connection timeout expired" in server.log.read_text(encoding="utf-8")


def test_an_unexpected_error_is_logged_once_with_its_request_id(pg_schema: str, tmp_path: Path) -> None:
    """A 500 was logged twice, by our handler and again by uvicorn ("Exception in ASGI application"),
    each with the whole traceback: two alerts for one failure."""
    env = {"YUEJUAN_DATABASE_URL": pg_schema, "YUEJUAN_RUN_JOBS": "false"}
    server = ServerProcess(env, tmp_path / "s.log").start()
    try:
        assert api.get(f"{server.url}/v1/jobs", timeout=30).status_code == 200
        # An operator's mistake no request can cause: a table of the job store renamed under the server.
        engine = create_engine(pg_schema)
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE jobs RENAME TO jobs_by_mistake"))
        engine.dispose()
        response = api.get(f"{server.url}/v1/jobs", timeout=30, headers={"X-Request-ID": "broken-store-1"})
        assert response.status_code == 500 and response.json()["error"]["code"] == "internal_error"
        assert response.headers["x-request-id"] == "broken-store-1"
    finally:
        server.stop()
    errors = [line for line in _log_lines(server) if line["level"] == "error"]
    assert len(errors) == 1, errors
    assert errors[0]["request_id"] == "broken-store-1" and "GET /v1/jobs" in str(errors[0]["message"])
    assert "UndefinedTable" in str(errors[0]["exception"])


def test_metrics_count_by_route_template_and_rubric(paused: ServerProcess) -> None:
    url = paused.url
    before = httpx.get(f"{url}/metrics").text
    for _ in range(3):
        assert api.post(f"{url}/v1/grade", json=DRAFT).status_code == 200
    assert httpx.post(f"{url}/v1/check", json=DRAFT).status_code == 200
    for job_id in ("0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"):
        assert api.get(f"{url}/v1/jobs/{job_id}").status_code == 404
    job = {"rubric_id": IC, "submissions": [{"id": f"m{i}", "answer": "上级是客户。"} for i in range(7)]}
    assert api.post(f"{url}/v1/jobs", json=job).status_code == 202
    # Labels stay bounded: odd methods are "other", the page's files one route, stray paths "unmatched".
    for method in ("PROPFIND", "PURGE", "MKCOL"):
        assert httpx.request(method, f"{url}/v1/grade").status_code == 405
    assert httpx.get(f"{url}/static/app.js").status_code == 200
    assert httpx.get(f"{url}/static/no-such-file.js").status_code == 404
    assert httpx.get(f"{url}/wp-login.php").status_code == 404
    response = httpx.get(f"{url}/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    after = response.text

    def grown(name: str, **labels: str) -> float:
        return _metric(after, name, **labels) - _metric(before, name, **labels)

    assert grown("yuejuan_http_requests_total", method="POST", route="/v1/grade", status="200") == 3
    assert grown("yuejuan_http_requests_total", method="GET", route="/v1/jobs/{job_id}", status="404") == 2
    assert "fedcba98" not in after  # routes are templates, never raw paths
    assert grown("yuejuan_http_requests_total", method="other", route="/v1/grade", status="405") == 3
    assert "PROPFIND" not in after and "PURGE" not in after
    assert grown("yuejuan_http_requests_total", method="GET", route="/static/{path}", status="200") == 1
    assert grown("yuejuan_http_requests_total", method="GET", route="/static/{path}", status="404") == 1
    assert grown("yuejuan_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert "wp-login" not in after and "no-such-file" not in after
    assert grown("yuejuan_grades_total", rubric_id=IC, endpoint="grade") == 3
    assert grown("yuejuan_grades_total", rubric_id=IC, endpoint="check") == 1
    assert grown("yuejuan_http_request_duration_seconds_count", method="POST", route="/v1/grade") == 3
    assert grown("yuejuan_job_queue_depth") == 7 and grown("yuejuan_jobs", status="queued") == 1
    assert "yuejuan_job_submissions_graded{" in after
    assert _metric(after, "yuejuan_rubrics_loaded") == 1


def test_metrics_add_up_over_several_server_processes(tmp_path: Path) -> None:
    """Processes sharing PROMETHEUS_MULTIPROC_DIR (what serve --workers N sets up) each write their
    own counts, and a scrape of any of them adds up all: two servers on one folder show it for sure."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = {
        "YUEJUAN_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
        "YUEJUAN_RUN_JOBS": "false",
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
    }
    # Migrated first, as `serve --workers N` does: two servers starting on a fresh file would race to make its tables.
    database = Database(env["YUEJUAN_DATABASE_URL"])
    database.upgrade()
    database.dispose()
    first = ServerProcess(env, tmp_path / "first.log")
    second = ServerProcess(env, tmp_path / "second.log")
    try:
        for server in (first, second):
            server.launch()  # both at once: their start-ups overlap
        for server in (first, second):
            server.wait_ready()
        for server, n in ((first, 3), (second, 4)):
            for _ in range(n):
                assert httpx.post(f"{server.url}/v1/check", json=DRAFT).status_code == 200
        for server in (first, second):
            text = httpx.get(f"{server.url}/metrics").text
            assert _metric(text, "yuejuan_http_requests_total", method="POST", route="/v1/check", status="200") == 7
            assert _metric(text, "yuejuan_grades_total", rubric_id=IC, endpoint="check") == 7
    finally:
        first.stop()
        second.stop()


def test_serve_with_several_processes_spreads_restarts_and_stops(tmp_path: Path) -> None:
    env = {
        "YUEJUAN_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
        "YUEJUAN_RUN_JOBS": "false",
        "YUEJUAN_RATE_LIMIT_CHECK": "0",
    }
    server = ServerProcess(env, tmp_path / "server.log", args=("--workers", "2")).start()

    def check(_: int) -> int:
        return httpx.post(f"{server.url}/v1/check", json=DRAFT).status_code

    def started() -> list[object]:
        return [e["process"] for e in _log_lines(server) if e["message"] == "Application startup complete."]

    try:
        deadline = time.monotonic() + 120
        while len(started()) < 2:
            assert time.monotonic() < deadline, "the second process did not start"
            time.sleep(0.2)
        with ThreadPoolExecutor(max_workers=8) as pool:
            assert list(pool.map(check, range(40))) == [200] * 40
        for _ in range(4):  # whichever process answers the scrape, it counts every request
            text = httpx.get(f"{server.url}/metrics").text
            assert _metric(text, "yuejuan_http_requests_total", method="POST", route="/v1/check", status="200") == 40
        # Each process listens on the port itself: new connections are spread over both.
        serving = {e["process"] for e in _log_lines(server) if e["logger"] == "yuejuan.access"}
        assert serving == set(started())
        # With SO_REUSEPORT a second server on the port would share the traffic without a word: it is refused.
        second = yuejuan("serve", "--port", str(server.port), "--workers", "2", env=env)
        assert second.returncode == 2 and second.stderr.startswith("错误 [cannot_listen]:127.0.0.1:"), second.stderr

        # Kill a process while both are busy with long answers: it dies with requests in flight.
        victim = started()[0]
        assert isinstance(victim, int)
        long_draft = {"rubric_id": IC, "answer": "".join(_corpus_answers())[:6000]}
        stop_load = threading.Event()

        def busy(_: int) -> None:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                while not stop_load.is_set():
                    with contextlib.suppress(httpx.TransportError):
                        client.post("/v1/check", json=long_draft)

        with ThreadPoolExecutor(max_workers=6) as load:
            for n in range(6):
                load.submit(busy, n)
            while _metric(httpx.get(f"{server.url}/metrics").text, "yuejuan_http_requests_in_progress") < 6:
                assert time.monotonic() < deadline, "the long answers were not in flight"
            os.kill(victim, signal.SIGKILL)
            stop_load.set()
        while len(started()) < 3:
            assert time.monotonic() < deadline + 60, "the dead process was not replaced"
            time.sleep(0.2)
        with ThreadPoolExecutor(max_workers=8) as pool:
            assert list(pool.map(check, range(20))) == [200] * 20
        # The dead process's requests in flight are no longer counted: only the scrape itself is.
        for _ in range(4):
            text = httpx.get(f"{server.url}/metrics").text
            assert _metric(text, "yuejuan_http_requests_in_progress") == 1
        assert server.terminate() == 0
        assert "starting another" in server.log.read_text(encoding="utf-8")
    finally:
        server.stop()


def _corpus_answers() -> list[str]:
    corpus = ROOT / "corpus" / IC / "answers.jsonl"
    return [json.loads(line)["answer"] for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]


def _connections_by_process(pids: list[int], port: int) -> dict[int, int]:
    """Established TCP connections to ``port`` held by each process, read from /proc."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                    established.add(f"socket:[{fields[9]}]")
    held = {}
    for pid in pids:
        fds = Path(f"/proc/{pid}/fd")
        held[pid] = sum(1 for fd in fds.iterdir() if os.readlink(fd) in established)
    return held


async def _keep_alive_clients(port: int, clients: int, seconds: float) -> tuple[int, int, int]:
    """``clients`` keep-alive HTTP/1.1 connections, each sending requests one after another for
    ``seconds`` and connecting again when the server closes it; (answered, failed, reconnections)."""
    answered = failed = reconnected = 0
    deadline = time.monotonic() + seconds

    async def client() -> None:
        nonlocal answered, failed, reconnected
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.monotonic() < deadline:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
            length = int(head.split("content-length:")[1].split("\r\n")[0])
            await reader.readexactly(length)
            if head.startswith("http/1.1 200"):
                answered += 1
            else:
                failed += 1
            if "connection: close" in head:
                writer.close()
                reconnected += 1
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            await asyncio.sleep(0.002)
        writer.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return answered, failed, reconnected


def test_several_processes_even_out_their_keep_alive_connections(tmp_path: Path) -> None:
    """The kernel hands a new connection to one of the processes by a hash of its addresses: 16
    clients often land 10 or 11 on one process, which then grades twice as much as the other for
    as long as the connections live. A process holding more than its share asks a client to
    reconnect, so the connections even out (eight each), trial after trial."""
    env = {"YUEJUAN_DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}", "YUEJUAN_RUN_JOBS": "false"}
    server = ServerProcess(env, tmp_path / "server.log", args=("--workers", "2")).start()
    try:
        deadline = time.monotonic() + 120
        started = "Application startup complete."
        while len(pids := [int(e["process"]) for e in _log_lines(server) if e["message"] == started]) < 2:  # type: ignore[call-overload]
            assert time.monotonic() < deadline, "the second process did not start"
            time.sleep(0.2)
        for trial in range(3):

            async def trial_run() -> tuple[tuple[int, int, int], dict[int, int]]:
                clients = asyncio.create_task(_keep_alive_clients(server.port, 16, 4.0))
                await asyncio.sleep(3.5)  # the connections are open and busy: count them
                held = _connections_by_process(pids, server.port)
                return await clients, held

            (answered, failed, _), held = asyncio.run(trial_run())
            assert failed == 0 and answered > 500, (trial, answered, failed)
            assert sorted(held.values()) == [8, 8], (trial, held)
        # A supervisor that is SIGKILLed cannot stop its server processes: they stop by themselves.
        server.kill()
        while alive := [pid for pid in pids if _running(pid)]:
            assert time.monotonic() < deadline + 60, f"server processes {alive} outlived their supervisor"
            time.sleep(0.2)
    finally:
        server.stop()


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists and has not exited (a zombie waiting to be reaped has)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_a_long_answer_is_graded_without_stalling_the_other_requests(paused: ServerProcess) -> None:
    """Four answers of nearly 20,000 characters, one after the other, take the server a second or two;
    graded in a worker thread, they leave the event loop free: /metrics keeps answering and shows them
    in flight. Graded on the loop, no scrape could be answered while they run. (Four, not two: with the
    other half of the suite on the second core, two left room for as few as three scrapes.)"""
    corpus = Path(__file__).resolve().parents[2] / "corpus" / IC / "answers.jsonl"
    answers = [json.loads(line)["answer"] for line in corpus.read_text(encoding="utf-8").splitlines()]
    long_answer = "".join(answers)[:19_500]
    done: list[httpx.Response] = []

    def send_two() -> None:
        for start in range(4):
            answer = long_answer[start:] + long_answer[:start]
            done.append(api.post(f"{paused.url}/v1/grade", json={"rubric_id": IC, "answer": answer}, timeout=60))

    seen_in_flight = 0
    with ThreadPoolExecutor(1) as pool:
        sending = pool.submit(send_two)
        while not sending.done():
            text = httpx.get(f"{paused.url}/metrics", timeout=30).text
            if not sending.done() and _metric(text, "yuejuan_http_requests_in_progress") >= 2:
                seen_in_flight += 1  # a grade and this scrape
        sending.result()
    assert [r.status_code for r in done] == [200] * 4
    assert all(len(r.json()["items"]) == 8 for r in done)
    assert seen_in_flight >= 5, seen_in_flight


def test_a_started_app_keeps_what_it_loaded_out_of_full_garbage_collections(
    tmp_path: Path, registry: RubricRegistry
) -> None:
    """A full collection walks every tracked object: with the compiled rubrics and the segmenter's
    dictionary (some 400,000 objects) that stalls a server process for a tenth of a second. Once the
    app has started they are frozen, out of its way, and handed back when the app stops."""
    gc.unfreeze()
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'gc.db'}", run_jobs=False), registry=registry)

    async def frozen_while_serving() -> int:
        async with app.router.lifespan_context(app):
            return gc.get_freeze_count()

    assert asyncio.run(frozen_while_serving()) > 100_000
    assert gc.get_freeze_count() == 0


def test_a_grading_worker_freezes_the_rubrics_it_loaded(registry: RubricRegistry) -> None:
    gc.unfreeze()
    try:
        grading.init_worker(str(ROOT / "rubrics"), 20_000, registry)
        assert gc.get_freeze_count() > 100_000
    finally:
        gc.unfreeze()
