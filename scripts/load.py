"""Load a real server over loopback: throughput, latency percentiles and server memory.

    python scripts/load.py [--clients 16] [--requests 20000] [--workers N] [--max-seconds 900]

Starts `yuejuan serve` as a subprocess (temporary database, no job runner, rate limits off),
creates a grader key, and drives it with N concurrent clients (asyncio, keep-alive), each
sending one request after another, alternating `/v1/grade` and `/v1/check` with answers of
about 400 characters. Bounded: stops after --requests or --max-seconds, whichever comes first.

Prints throughput, p50/p95/p99 latency per endpoint, errors, the server's RSS (all its
processes) after warm-up and after the run, and in-process grading on one core of the same
answers, times the cores, for comparison. Targets (2 cores, 16 clients): p99 < 100 ms, zero
errors, throughput >= 0.70 of in-process grading on the same cores, RSS growth within 64 MiB.
The client runs on the same machine and takes some of its CPU; the load average is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
RUBRIC = "internal-customer"
RSS_BOUND_MIB = 64.0


def _answers(n: int, size: int = 400) -> list[str]:
    """N answers of about ``size`` characters, corpus answers run together (deterministic)."""
    if size <= 0:
        return [""] * n  # empty answers: grading costs next to nothing, what is left is the HTTP layer
    from bench import corpus_texts, long_texts  # scripts/ is on the path when this script runs

    return long_texts(corpus_texts(RUBRIC), n, size)


def _yuejuan() -> list[str]:
    exe = Path(sys.executable).parent / "yuejuan"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "service.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    tree, frontier = [pid], [pid]
    while frontier:
        for child in children.get(frontier.pop(), []):
            tree.append(child)
            frontier.append(child)
    return tree


def _rss_mib(pid: int) -> dict[int, float]:
    """Resident memory of a process and its descendants, MiB each."""
    sizes = {}
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes[p] = int(line.split()[1]) / 1024
        except OSError:
            continue
    return sizes


def _cpu_seconds(pid: int) -> dict[int, float]:
    """CPU seconds used so far by a process and each of its descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            used[p] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return used


class Server:
    """`yuejuan serve` in a temporary folder, stopped with SIGTERM."""

    def __init__(self, workers: int, folder: Path, extra_env: dict[str, str]) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "YUEJUAN_DATABASE_URL": f"sqlite:///{folder / 'load.db'}",
            "YUEJUAN_RUBRICS_DIR": str(ROOT / "rubrics"),
            "YUEJUAN_RUN_JOBS": "false",
            "YUEJUAN_RATE_LIMIT_GRADE": "0",
            "YUEJUAN_RATE_LIMIT_CHECK": "0",
            **extra_env,
        }
        key = subprocess.run(
            [*_yuejuan(), "keys", "create", "--role", "grader", "--name", "load"],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        self.key = key.stdout.strip()
        command = [*_yuejuan(), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)]
        self.log_path = folder / "server.log"
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(command, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, workers: int, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("the server exited at start")
            try:
                started = self.log_path.read_text(encoding="utf-8").count("Application startup complete.")
                if started >= workers and httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise SystemExit("the server did not become ready")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"/v1/grade": [], "/v1/check": []})
    errors: dict[str, int] = field(default_factory=dict)
    by_client: list[list[float]] = field(default_factory=list)  # each client's latencies


class _Connection:
    """One keep-alive HTTP/1.1 connection, spoken by hand: httpx costs the client as much CPU per
    request as the server spends, and the client shares the machine with the server."""

    def __init__(self, host: str, port: int, key: str) -> None:
        self.host, self.port = host, port
        self.head = f"Host: {host}:{port}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        request = f"POST {path} HTTP/1.1\r\n{self.head}Content-Length: {len(body)}\r\n\r\n".encode() + body
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        content = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, content

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def _drive(url: str, key: str, answers: list[str], clients: int, total: int, max_seconds: float) -> Tally:
    tally = Tally()
    counter = iter(range(total))
    deadline = time.monotonic() + max_seconds
    host, port = url.removeprefix("http://").split(":")
    bodies = [json.dumps({"rubric_id": RUBRIC, "answer": a}, ensure_ascii=False).encode() for a in answers]

    async def one_client() -> None:
        connection = _Connection(host, int(port), key)
        mine: list[float] = []
        tally.by_client.append(mine)
        try:
            for n in counter:
                if time.monotonic() > deadline:
                    return
                path = "/v1/grade" if n % 2 == 0 else "/v1/check"
                start = time.perf_counter()
                try:
                    status, content = await connection.post(path, bodies[n % len(bodies)])
                    ok, reason = status == 200 and content.startswith(b"{"), str(status)
                except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                    ok, reason = False, type(error).__name__
                    await connection.close()
                elapsed = time.perf_counter() - start
                if ok:
                    tally.latencies[path].append(elapsed)
                    mine.append(elapsed)
                else:
                    tally.errors[f"{path} {reason}"] = tally.errors.get(f"{path} {reason}", 0) + 1
        finally:
            await connection.close()

    await asyncio.gather(*(one_client() for _ in range(clients)))
    return tally


def _percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a"
    q = statistics.quantiles(values, n=100, method="inclusive")
    p50, p95, p99, top = (1000 * v for v in (q[49], q[94], q[98], max(values)))
    return f"p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  p99 {p99:6.1f} ms  max {top:6.1f} ms"


def _grade_for(answers: list[str], ready: Any, go: Any, seconds: float, done: Any) -> None:
    from service.registry import RubricRegistry
    from service.scoring import grade

    compiled = RubricRegistry.from_dir(ROOT / "rubrics").get(RUBRIC)
    for text in answers[:20]:
        grade(compiled, text)
    ready.release()
    go.wait()
    n, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        grade(compiled, answers[n % len(answers)])
        n += 1
    done.put(n)


def _in_process_wall(answers: list[str], processes: int, seconds: float = 20.0) -> float:
    """Answers per second graded in-process by ``processes`` processes at once, by the wall clock:
    under the same load from the rest of the machine as the HTTP run."""
    context = multiprocessing.get_context("spawn")
    ready, go, done = context.Semaphore(0), context.Event(), context.Queue()
    workers = [context.Process(target=_grade_for, args=(answers, ready, go, seconds, done)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.acquire()
    go.set()
    total = sum(done.get() for _ in workers)
    for worker in workers:
        worker.join()
    return total / seconds


def _in_process_rate(answers: list[str]) -> float:
    """Answers per CPU-second graded in this process on one core (the same answers)."""
    from service.registry import RubricRegistry
    from service.scoring import grade

    compiled = RubricRegistry.from_dir(ROOT / "rubrics").get(RUBRIC)
    sample = answers[:300] if any(answers) else _answers(300)
    for text in sample[:20]:
        grade(compiled, text)
    start = time.process_time()
    for text in sample:
        grade(compiled, text)
    return len(sample) / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=cores, help="server processes (default: one per core)")
    parser.add_argument("--max-seconds", type=float, default=900.0, help="stop the run after this long anyway")
    parser.add_argument("--no-access-log", action="store_true", help="serve with YUEJUAN_ACCESS_LOG=false")
    parser.add_argument("--answer-chars", type=int, default=400, help="0: empty answers, to measure the HTTP layer")
    args = parser.parse_args()
    answers = _answers(1000, args.answer_chars)
    print(f"answers: {len(answers)}, mean {sum(map(len, answers)) / len(answers):.0f} characters; {cores} cores")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    with tempfile.TemporaryDirectory() as tmp:
        env = {"YUEJUAN_ACCESS_LOG": "false"} if args.no_access_log else {}
        server = Server(args.workers, Path(tmp), env)
        try:
            server.wait_ready(args.workers)
            asyncio.run(_drive(server.url, server.key, answers, args.clients, 400, 120))  # warm-up
            before = _rss_mib(server.proc.pid)
            cpu_before = _cpu_seconds(server.proc.pid)
            client_cpu = time.process_time()
            start = time.perf_counter()
            tally = asyncio.run(_drive(server.url, server.key, answers, args.clients, args.requests, args.max_seconds))
            wall = time.perf_counter() - start
            client_cpu = time.process_time() - client_cpu
            cpu_after = _cpu_seconds(server.proc.pid)
            by_process = {p: cpu_after[p] - cpu_before.get(p, 0.0) for p in cpu_after}
            server_cpu = sum(by_process.values())
            after = _rss_mib(server.proc.pid)
        finally:
            server.stop()

    done = sum(len(v) for v in tally.latencies.values())
    failed = sum(tally.errors.values())
    rate = done / wall
    print(f"\nserver: {args.workers} process(es); {args.clients} clients; {done + failed} requests in {wall:.1f} s")
    print(f"throughput: {rate:.1f} requests/s; errors: {failed} {tally.errors or ''}")
    for path, values in tally.latencies.items():
        print(f"  {path:10} {len(values):6d} ok  {_percentiles(values)}")
    print(f"  {'all':10} {done:6d} ok  {_percentiles([v for vs in tally.latencies.values() for v in vs])}")
    # Clients served by a process holding more connections than the others wait longer, all run long.
    means = sorted(1000 * statistics.fmean(v) for v in tally.by_client if v)
    if means:
        print(f"  mean latency by client: {means[0]:.1f} ms (lowest) to {means[-1]:.1f} ms (highest)")
    per_request = 1000 * server_cpu / max(done, 1)
    print(f"CPU: server {server_cpu:.1f} s ({per_request:.2f} ms per request), client {client_cpu:.1f} s")
    shares = ", ".join(f"{seconds:.1f}" for _, seconds in sorted(by_process.items()))
    print(f"  server CPU seconds by process (supervisor and workers): {shares}")
    growth = sum(after.values()) - sum(before.values())
    verdict = "within" if growth <= RSS_BOUND_MIB else "OVER"
    print(f"server RSS: {sum(before.values()):.0f} MiB after warm-up -> {sum(after.values()):.0f} MiB after the run")
    print(f"  growth {growth:+.1f} MiB ({verdict} the {RSS_BOUND_MIB:.0f} MiB bound); per process: ", end="")
    print(", ".join(f"{before.get(p, 0):.0f}->{after.get(p, 0):.0f}" for p in sorted(set(before) | set(after))))

    single = _in_process_rate(answers)
    used = min(cores, args.workers)
    wall = _in_process_wall(answers if any(answers) else _answers(300), used)
    print(f"in-process grading, one core: {single:.1f} answers/s ({1000 / single:.2f} ms CPU each)")
    print(f"in-process grading, {used} processes at once, just after the run: {wall:.1f} answers/s")
    print(f"ratio of HTTP throughput to that: {rate / wall:.2f}")
    # Independent of other load on the machine: what the HTTP layer costs on top of grading.
    print(f"CPU efficiency (grading CPU / server CPU per request): {1000 / single / per_request:.2f}")
    print("targets: p99 < 100 ms, 0 errors, ratio >= 0.70, RSS growth within the bound")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
