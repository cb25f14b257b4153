"""Throughput figures.

    python scripts/bench.py [--rubric internal-customer] [--repeat 3] [--jobs 10000 | --jobs 0] [--distributed]

1. One core: answers per second for full grading and for segmenting the same texts with the
   rubric's jieba tokenizer, and their ratio (target: grading >= 50% of segmentation).
2. Batch jobs (skipped with --jobs 0): N submissions of about 400 characters through
   `yuejuan grade-file` and through the jobs API of a real server (SQLite job store), each
   with submissions/second, the ratio to cores x single-core grading throughput (target
   >= 0.8), and peak memory of the process tree (RSS summed; pages shared after fork are
   counted once per process, so this over-states real use).
   Then the cost of a rate limit on the request path: microseconds per ``acquire`` for the
   in-process buckets and for the buckets shared by the processes of ``serve --workers N``
   (one caller again and again; 20,000 callers in turn), and the shared ones while a second
   process (on another core) takes tokens from the same table as fast as it can.
3. Distributed mode (--distributed, instead of 2): the same submissions through the jobs API
   with PostgreSQL and Redis (YUEJUAN_TEST_POSTGRES_URL, YUEJUAN_TEST_REDIS_URL; a schema and a
   queue of its own), graded by 1 and then 2 `yuejuan worker --concurrency 1` processes:
   submissions/second, per worker process, and the ratio of 2 workers to 1 (ideal 2.0 with a
   core per worker; the API, PostgreSQL and Redis share the same cores here).
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from service.registry import RubricRegistry
from service.scoring import grade

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def corpus_texts(rubric_id: str) -> list[str]:
    path = ROOT / "corpus" / rubric_id / "answers.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["answer"] for r in rows if r["answer"].strip()]


def _rate(fn: object, texts: list[str], repeat: int) -> float:
    best = 0.0
    for _ in range(repeat):
        start = time.process_time()
        for text in texts:
            fn(text)  # type: ignore[operator]
        best = max(best, len(texts) / (time.process_time() - start))
    return best


def _side_by_side(segment: Any, full: Any, texts: list[str], repeat: int, block: int = 32) -> tuple[float, float]:
    """Answers/second of ``segment`` and of ``full``, timed in alternating blocks of ``block`` answers
    (each a fraction of a second, so each runs as in a loop of its own). The host's speed drifts by up
    to a factor of two over seconds here; timed one after the other, the two would see different
    machines and their ratio would drift with it."""
    spent = [0.0, 0.0]
    for _ in range(repeat):
        for first in range(0, len(texts), block):
            chunk = texts[first : first + block]
            for i, fn in enumerate((segment, full)):
                start = time.process_time()
                for text in chunk:
                    fn(text)
                spent[i] += time.process_time() - start
    n = len(texts) * repeat
    return n / spent[0], n / spent[1]


def _grade_on(core: int, texts: list[str], rubric: str, barrier: Any, out: Any) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})
    compiled = RubricRegistry.from_dir(ROOT / "rubrics").get(rubric)
    for text in texts[:20]:
        grade(compiled, text)
    barrier.wait()
    start = time.perf_counter()
    for text in texts:
        grade(compiled, text)
    out.put(time.perf_counter() - start)


def _parallel_rate(texts: list[str], rubric: str, cores: list[int]) -> float:
    """Submissions/second of plain in-process grading run in one process per core at once: what
    this machine's cores really give together (virtual cores may share a physical one)."""
    context = multiprocessing.get_context("fork")
    barrier, out = context.Barrier(len(cores)), context.Queue()
    procs = [context.Process(target=_grade_on, args=(core, texts, rubric, barrier, out)) for core in cores]
    for proc in procs:
        proc.start()
    walls = [out.get() for _ in procs]
    for proc in procs:
        proc.join()
    return len(texts) * len(cores) / max(walls)


def long_texts(texts: list[str], n: int, size: int = 400) -> list[str]:
    """N answers of about ``size`` characters, made of corpus answers run together (deterministic)."""
    out = []
    for i in range(n):
        text, k = texts[i % len(texts)], 1
        while len(text) < size - 40:
            text += texts[(i * 7 + k * 13) % len(texts)]
            k += 1
        out.append(text[: size + 20])
    return out


class TreeMemory:
    """Samples a process and its descendants: summed RSS (``peak``, MiB) and CPU seconds used."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, 0.0
        self._cpu: dict[int, float] = {}
        self._base: dict[int, float] | None = None  # CPU already used when sampling began
        self._tick = os.sysconf("SC_CLK_TCK")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree_rss(self) -> float:
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
        tree, frontier = {self.pid}, [self.pid]
        while frontier:
            parent = frontier.pop()
            for pid, ppid in parents.items():
                if ppid == parent and pid not in tree:
                    tree.add(pid)
                    frontier.append(pid)
        total = 0
        for pid in tree:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                self._cpu[pid] = (int(fields[11]) + int(fields[12])) / self._tick  # utime + stime
            except (OSError, IndexError, ValueError):
                pass
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._tree_rss())
            if self._base is None:
                self._base = dict(self._cpu)
            self._stop.wait(0.25)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak

    @property
    def cpu_seconds(self) -> float:
        base = self._base or {}
        return sum(cpu - base.get(pid, 0.0) for pid, cpu in self._cpu.items())


def _yuejuan() -> list[str]:
    exe = Path(sys.executable).parent / "yuejuan"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "service.cli"]


def _efficiency(n: int, cpu_seconds: float, single_cpu: float) -> str:
    """CPU time one core needs per submission over what the whole process tree spent: independent
    of other load on the machine, it shows what the batch machinery costs on top of grading."""
    return f"CPU efficiency {single_cpu * n / cpu_seconds:.2f} ({cpu_seconds:.0f} CPU s for {n})"


def _bench_grade_file(texts: list[str], rubric: str, folder: Path, ideal: float, single_cpu: float) -> None:
    source, output = folder / "sitting.csv", folder / "graded.csv"
    with source.open("w", encoding="utf-8-sig", newline="") as sink:
        writer = csv.writer(sink)
        writer.writerow(["id", "answer"])
        writer.writerows([f"B{i:06d}", t] for i, t in enumerate(texts))
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*_yuejuan(), "grade-file", str(source), "--rubric", rubric, "-o", str(output), "--quiet"],
        stderr=subprocess.PIPE,
        text=True,
    )
    memory = TreeMemory(proc.pid)
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    peak = memory.stop()
    if proc.returncode:
        raise SystemExit(f"grade-file failed: {err}")
    # The CLI prints its own time, from the first grading task to the file written (rubrics compiled).
    seconds = float(err.split("用时 ")[1].split(" 秒")[0])
    rate, rate_wall = len(texts) / seconds, len(texts) / wall
    print(f"grade-file: {rate:8.1f} submissions/s grading ({seconds:.1f} s); ratio to ideal {rate / ideal:.2f}")
    print(f"            {rate_wall:8.1f} submissions/s end to end, start-up included ({wall:.1f} s)")
    print(f"            peak memory {peak:.0f} MiB; {_efficiency(len(texts), memory.cpu_seconds, single_cpu)}")


def _bench_jobs_api(texts: list[str], rubric: str, folder: Path, ideal: float, single_cpu: float) -> None:
    from support import ServerProcess, api

    env = {"YUEJUAN_DATABASE_URL": f"sqlite:///{folder / 'jobs.db'}", "YUEJUAN_LOG_LEVEL": "warning"}
    server = ServerProcess(env, folder / "server.log").start()
    assert server.proc is not None
    memory = TreeMemory(server.proc.pid)
    try:
        body = {"rubric_id": rubric, "submissions": [{"id": f"J{i:06d}", "answer": t} for i, t in enumerate(texts)]}
        start = time.perf_counter()
        job = api.post(f"{server.url}/v1/jobs", json=body, timeout=300).json()
        accepted = time.perf_counter() - start
        while (status := api.get(f"{server.url}/v1/jobs/{job['id']}", timeout=30).json())["status"] in (
            "queued",
            "running",
        ):
            time.sleep(0.5)
        wall = time.perf_counter() - start
        cpu = memory.cpu_seconds
        export_start = time.perf_counter()
        size = len(api.get(f"{server.url}/v1/jobs/{job['id']}/results?format=csv", timeout=300).content)
        export = time.perf_counter() - export_start
        report_start = time.perf_counter()
        api.get(f"{server.url}/v1/jobs/{job['id']}/report", timeout=300).raise_for_status()
        report = time.perf_counter() - report_start
    finally:
        peak = memory.stop()
        server.stop()
    if status["status"] != "done":
        raise SystemExit(f"job ended {status['status']}: {status['error']}")
    seconds = status["elapsed_seconds"]
    rate = len(texts) / seconds
    print(f"jobs API:   {rate:8.1f} submissions/s grading ({seconds:.1f} s); ratio to ideal {rate / ideal:.2f}")
    print(f"            {len(texts) / wall:8.1f} submissions/s from POST to done ({wall:.1f} s)")
    print(f"            POST answered in {accepted:.1f} s; CSV export {size / 1e6:.1f} MB in {export:.1f} s")
    print(f"            report in {report:.1f} s; peak memory {peak:.0f} MiB")
    print(f"            {_efficiency(len(texts), cpu, single_cpu)}, POST to done")


def _drop_queue(redis_url: str, queue: str) -> None:
    """Remove what the broker kept of the bench's queue."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        if keys := [*client.keys(f"{queue}*"), *client.keys(f"_kombu.binding*.{queue}")]:
            client.delete(*keys)
    finally:
        client.close()


def _bench_distributed(texts: list[str], rubric: str, folder: Path, single: float) -> None:
    import uuid

    from sqlalchemy import create_engine, text
    from support import ServerProcess, WorkerProcess, api

    postgres = os.environ.get("YUEJUAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    redis_url = os.environ.get("YUEJUAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    body = {"rubric_id": rubric, "submissions": [{"id": f"W{i:06d}", "answer": t} for i, t in enumerate(texts)]}
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    rates: dict[int, float] = {}
    for workers in (1, 2):
        schema, queue = f"yj_bench_{uuid.uuid4().hex[:10]}", f"yj-bench-{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        env = {
            "YUEJUAN_DATABASE_URL": f"{postgres}?options=-csearch_path%3D{schema}",
            "YUEJUAN_BROKER_URL": redis_url,
            "YUEJUAN_JOB_QUEUE": queue,
            "YUEJUAN_LOG_LEVEL": "warning",
        }
        pool = [WorkerProcess(env, folder / f"worker-{workers}-{n}.log").launch() for n in range(workers)]
        server = ServerProcess(env, folder / f"api-{workers}.log")
        try:
            server.start()
            for worker in pool:
                worker.wait_ready()
            meters = [TreeMemory(worker.proc.pid) for worker in pool if worker.proc is not None]
            load = os.getloadavg()[0]
            job = api.post(f"{server.url}/v1/jobs", json=body, timeout=300).json()
            while (status := api.get(f"{server.url}/v1/jobs/{job['id']}", timeout=30).json())["status"] in (
                "queued",
                "running",
            ):
                time.sleep(0.5)
            time.sleep(0.5)  # a last sample of the workers' CPU time
            cpu = sum(meter.cpu_seconds for meter in meters)
            peak = sum(meter.stop() for meter in meters)
            with admin.connect() as connection:
                stored = connection.execute(
                    text(
                        "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n "
                        "ON n.oid = c.relnamespace WHERE n.nspname = :schema AND c.relkind = 'r'"
                    ),
                    {"schema": schema},
                ).scalar_one()
        finally:
            for worker in pool:
                worker.stop()
            server.stop()
            with admin.connect() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            _drop_queue(redis_url, queue)
        if status["status"] != "done":
            raise SystemExit(f"job ended {status['status']}: {status['error']}")
        rates[workers] = len(texts) / status["elapsed_seconds"]
        print(
            f"{workers} worker process(es): {rates[workers]:8.1f} submissions/s "
            f"({rates[workers] / workers:.1f} per worker process; {status['elapsed_seconds']:.1f} s); "
            f"load average at start {load:.2f}"
        )
        print(
            f"    worker CPU: {len(texts) / cpu:.1f} submissions per CPU-second (single-core grading "
            f"{single:.1f}/s); peak worker memory {peak:.0f} MiB; PostgreSQL "
            f"{int(stored) / len(texts) / 1024:.1f} KiB per submission stored"
        )
    admin.dispose()
    print(f"ratio 2 workers / 1 worker: {rates[2] / rates[1]:.2f}  (ideal 2.00)")


def _acquire_us(limiter: Any, callers: list[str], n: int = 200_000) -> float:
    """Microseconds per ``acquire``, taking tokens for ``callers`` in turn (limits high enough never to refuse)."""
    start = time.perf_counter()
    for i in range(n):
        limiter.acquire(callers[i % len(callers)])
    return (time.perf_counter() - start) / n * 1e6


def _hammer(buckets: Any, core: int, taking: Any, stop: Any) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})  # another core than the bench's, when there is one
    limiter = buckets.limiter("check", 10**9)
    limiter.acquire("addr:10.0.0.1")
    taking.set()
    while not stop.is_set():
        limiter.acquire("addr:10.0.0.1")


def _bench_limits(rival_core: int) -> None:
    from service.auth import RateLimiter, SharedBuckets

    spawn = multiprocessing.get_context("spawn")
    buckets = SharedBuckets(["check"], context=spawn)
    one, many = ["addr:10.0.0.1"], [f"visitor:{n:08x}" for n in range(20_000)]
    print()
    print("rate limit, microseconds per acquire:  one caller   20,000 callers")
    for name, limiter in (("in the process", RateLimiter(10**9)), ("shared", buckets.limiter("check", 10**9))):
        print(f"  {name:<14}                     {_acquire_us(limiter, one):8.2f}   {_acquire_us(limiter, many):8.2f}")
    taking, stop = spawn.Event(), spawn.Event()
    rival = spawn.Process(target=_hammer, args=(buckets, rival_core, taking, stop))
    rival.start()
    taking.wait(120)
    try:
        contended = _acquire_us(buckets.limiter("check", 10**9), one)
    finally:
        stop.set()
        rival.join()
    print(f"  shared, one caller, another process taking tokens at the same time: {contended:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rubric", default="internal-customer")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=10_000, help="submissions for the batch figures; 0 skips them")
    parser.add_argument(
        "--distributed", action="store_true", help="batch figures with PostgreSQL, Redis and 1 then 2 workers"
    )
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cores[0]})  # one core
    compiled = RubricRegistry.from_dir(ROOT / "rubrics").get(args.rubric)
    texts = corpus_texts(args.rubric)
    chars = sum(len(t) for t in texts) / len(texts)
    for text in texts[:20]:  # warm caches
        grade(compiled, text)
    segment, graded = _side_by_side(compiled.segmenter.cut, lambda t: grade(compiled, t), texts, args.repeat)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"texts: {len(texts)} answers, mean {chars:.0f} characters, one core; segmented and graded in turn")
    print(f"segmentation only (jieba): {segment:8.1f} answers/s")
    print(f"full grading:              {graded:8.1f} answers/s")
    print(f"ratio grading/segmentation: {graded / segment:.2f}  (target >= 0.50)")
    print(f"peak memory: {peak:.0f} MiB")
    _bench_limits(cores[-1])
    if args.jobs <= 0:
        return

    batch = long_texts(texts, args.jobs)
    cpu_start = time.process_time()
    single = _rate(lambda t: grade(compiled, t), batch[:300], 1)
    single_cpu = (time.process_time() - cpu_start) / 300
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(cores))
    ideal = single * len(cores)
    mean = sum(len(t) for t in batch) / len(batch)
    print()
    print(f"batch: {len(batch)} submissions, mean {mean:.0f} characters, {len(cores)} cores")
    print(f"single-core grading: {single:8.1f} submissions/s; ideal {len(cores)} x {single:.1f} = {ideal:.1f}/s")
    print("target: ratio to ideal >= 0.80 (meaningful on an otherwise idle machine: check the load average)")
    print(f"load average now: {os.getloadavg()[0]:.2f}")
    if len(cores) > 1:
        together = _parallel_rate(batch[:300], args.rubric, cores)
        print(
            f"plain grading in {len(cores)} processes at once: {together:8.1f} submissions/s = "
            f"{together / ideal:.2f} of ideal (the most these cores give together)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        if args.distributed:
            _bench_distributed(batch, args.rubric, Path(tmp), single)
            return
        _bench_grade_file(batch, args.rubric, Path(tmp), ideal, single_cpu)
        _bench_jobs_api(batch, args.rubric, Path(tmp), ideal, single_cpu)


if __name__ == "__main__":
    main()
