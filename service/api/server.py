"""Serving the app: one process, or several that each listen on the port themselves.

With ``--workers N`` each server process opens its own listening socket on the same port
(SO_REUSEPORT) and the kernel hands each new connection to one of them by a hash of its addresses.
Sharing one socket instead (uvicorn's own workers) lets whichever process wakes first accept a
whole burst of connections: with keep-alive clients one process then did all the grading while the
other idled.

A hash spreads connections at random, not evenly: 16 keep-alive clients often land 11 on one
process and 5 on the other, and grading is CPU-bound, so the first 11 wait twice as long as the
others for as long as their connections live. Each process therefore publishes how many connections
it holds, and one holding more than its share of all of them asks a client to reconnect
(``Connection: close`` on a response, at most one every ``REBALANCE_SECONDS``); the new connection
lands on a process at random again, and the counts even out within a second or two.

The supervisor forwards SIGTERM and SIGINT to the server processes, each of which answers its
requests in flight before it stops, and starts a process again if one dies while serving.
"""

from __future__ import annotations

import errno
import logging
import logging.config
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping, MutableSequence
from multiprocessing.process import BaseProcess
from typing import Any

from ..auth import SharedBuckets
from ..errors import CommandLineError
from ..settings import Settings
from .app import LIMITED

__all__ = ["serve"]

log = logging.getLogger("yuejuan.server")

# A process holding more than its share of the connections asks one client to reconnect at most this often.
REBALANCE_SECONDS = 0.2

_Message = MutableMapping[str, Any]
_Asgi = Callable[[_Message, Callable[[], Awaitable[_Message]], Callable[[_Message], Awaitable[None]]], Awaitable[None]]


class ConnectionBalancer:
    """The app of one of several server processes, wrapped: it records how many connections this
    process holds (``counts[slot]``, shared by all of them) and, when that is more than its share of
    the total, ends one response with ``Connection: close`` so that its client reconnects."""

    def __init__(
        self,
        app: _Asgi,
        slot: int,
        counts: MutableSequence[int],
        held: Callable[[], int],
        interval: float = REBALANCE_SECONDS,
    ) -> None:
        self.app, self.slot, self.counts, self.held, self.interval = app, slot, counts, held, interval
        self._next = 0.0

    def _over_share(self) -> bool:
        mine = self.held()
        self.counts[self.slot] = mine
        now = time.monotonic()
        if now < self._next:
            return False
        share = -(-sum(self.counts) // len(self.counts))  # the total over the processes, rounded up
        if mine <= share:
            return False
        self._next = now + self.interval
        return True

    async def __call__(
        self, scope: _Message, receive: Callable[[], Awaitable[_Message]], send: Callable[[_Message], Awaitable[None]]
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def reply(message: _Message) -> None:
            if message["type"] == "http.response.start" and self._over_share():
                message = {**message, "headers": [*message.get("headers", ()), (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, reply)


def _options(settings: Settings) -> dict[str, Any]:
    from .logs import logging_config

    return {
        "log_config": logging_config(settings.log_level, settings.log_format),
        "log_level": settings.log_level,
        "access_log": False,  # the app logs each request itself, with its id (service.api.logs)
        "timeout_graceful_shutdown": settings.shutdown_timeout_seconds,
    }


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and without
    # it Nagle's algorithm held each response's second write for the client's delayed ACK (40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _run_process(
    host: str, port: int, serving: Any, slot: int, counts: MutableSequence[int], buckets: SharedBuckets
) -> None:
    """One server process: its own socket on the shared port, the app built from the environment.
    ``serving`` (an Event) is set once it serves, so that the supervisor tells a crash from a failed start;
    ``counts[slot]`` is where it publishes how many connections it holds (see ConnectionBalancer);
    ``buckets`` holds the rate limits, counted by all the processes together."""
    import uvicorn

    from . import create_app

    settings = Settings()
    counts[slot] = 0
    app = create_app(settings, shared_buckets=buckets)
    config = uvicorn.Config(app, host=host, port=port, **_options(settings))
    server = uvicorn.Server(config)
    config.app = ConnectionBalancer(app, slot, counts, lambda: len(server.server_state.connections))

    def report() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.1)
        if server.started:
            serving.set()

    threading.Thread(target=report, daemon=True).start()
    threading.Thread(target=_stop_with_supervisor, args=(os.getppid(),), daemon=True).start()
    server.run(sockets=[_listen(host, port)])


def _stop_with_supervisor(supervisor: int) -> None:
    """Stop this server process, gracefully, once its supervisor is gone (SIGKILLed, it could not
    forward a SIGTERM): else it would go on serving the port, unsupervised, with no one to stop it."""
    while os.getppid() == supervisor:
        time.sleep(1.0)
    log.warning("the supervisor (process %s) is gone; stopping", supervisor)
    os.kill(os.getpid(), signal.SIGTERM)


def _serve_one(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from . import create_app

    # Configured before the app is built, so that what opening the database logs is in the server's format.
    logging.config.dictConfig(_options(settings)["log_config"])
    uvicorn.run(create_app(settings), host=host, port=port, **_options(settings))


def _check_address(host: str, port: int) -> None:
    """Refuse now, in words, an address this server cannot listen on, before rubrics are loaded.

    The probe does not set SO_REUSEPORT: the server processes of ``--workers N`` do, and so would let a
    second ``yuejuan serve`` (another database, other rubrics) share the port with a running one, the
    kernel splitting the traffic between them without a word."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port left in TIME_WAIT is free
            probe.bind((host, port))
    except OSError as error:
        if isinstance(error, socket.gaierror):
            message = f"无法解析主机名 {host}(见 --host 或 YUEJUAN_HOST)。"
        elif error.errno == errno.EADDRINUSE:
            message = (
                f"{host}:{port} 已被占用:另一个服务(也许是另一个 yuejuan serve)正在监听此端口;请先停止它,或换一个端口。"
            )
        elif error.errno == errno.EADDRNOTAVAIL:
            message = f"本机没有地址 {host}(见 --host 或 YUEJUAN_HOST)。"
        elif error.errno == errno.EACCES:
            message = f"没有权限监听端口 {port}(1024 以下的端口须有管理员权限)。"
        else:
            message = f"无法监听 {host}:{port}({error.strerror or error})。"
        raise CommandLineError("cannot_listen", message) from None


def _prepare_shared_state(settings: Settings, workers: int) -> bool:
    """Environment and database for the server processes; True when a metrics folder was made here."""
    from ..auth import connect
    from ..storage import Database

    os.environ["YUEJUAN_RUBRICS_DIR"] = str(settings.rubrics_dir)
    if not settings.job_workers:
        # Each process runs a job runner; together they use one grading process per core.
        os.environ["YUEJUAN_JOB_WORKERS"] = str(max(1, settings.workers() // workers))
    # Migrate once, here: processes starting together on a fresh SQLite file would race to create tables.
    timeout = settings.database_connect_timeout_seconds
    connect(settings.database_url, connect_timeout=timeout).dispose()
    database = Database(settings.database_url, connect_timeout=timeout)
    database.upgrade()
    database.dispose()
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        return False
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="yuejuan-metrics-")
    return True


def _forget(process: BaseProcess) -> None:
    """Withdraw the live gauges of a server process that has ended (requests in progress): one that
    was killed could not, and its requests in flight would be counted for as long as the server runs."""
    from prometheus_client import multiprocess

    if process.pid is not None and "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        multiprocess.mark_process_dead(process.pid)  # type: ignore[no-untyped-call]


def serve(settings: Settings, *, host: str, port: int, workers: int) -> int:
    """Serve until SIGTERM or SIGINT; returns the exit code."""
    _check_address(host, port)
    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        if workers > 1:
            log.warning("SO_REUSEPORT is not available here: serving with one process")
        _serve_one(settings, host, port)
        return 0
    logging.config.dictConfig(_options(settings)["log_config"])
    own_metrics_dir = _prepare_shared_state(settings, workers)
    context = multiprocessing.get_context("spawn")
    stopping = False
    counts = context.RawArray("i", workers)  # connections held by each server process
    buckets = SharedBuckets(LIMITED, context=context)  # so that each limit holds for the server, not per process

    def start(slot: int) -> tuple[BaseProcess, Any]:
        serving = context.Event()
        process = context.Process(
            target=_run_process, args=(host, port, serving, slot, counts, buckets), name="yuejuan-server"
        )
        process.start()
        return process, serving

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        # SIGTERM either way: after a Ctrl+C the processes have had SIGINT from the terminal already,
        # and uvicorn takes a second SIGINT as "stop now, drop the requests in flight".
        for process, _ in processes:
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signal.SIGTERM)

    processes = [start(slot) for slot in range(workers)]
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("serving on http://%s:%d with %d processes", host, port, workers)
    code = 0
    try:
        while not stopping:
            time.sleep(0.5)
            for n, (process, serving) in enumerate(processes):
                if process.is_alive() or stopping:
                    continue
                if not serving.is_set():  # a broken rubric, a database it cannot reach: it would fail again
                    log.error("server process %s exited at start (code %s); stopping", process.pid, process.exitcode)
                    code = 1
                    stop(signal.SIGTERM, None)
                    break
                log.warning("server process %s died (code %s); starting another", process.pid, process.exitcode)
                _forget(process)
                processes[n] = start(n)
        for process, _ in processes:
            process.join()
            _forget(process)
    finally:
        if own_metrics_dir:
            shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
    log.info("stopped")
    return code
