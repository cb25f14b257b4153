"""Retention on a real server and job store (SQLite, then PostgreSQL): with YUEJUAN_JOB_RETENTION_DAYS
set, jobs that ended longer ago than that lose their data by themselves, each said on a log line."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from support import ServerProcess, api, wait_for_job

from conftest import yuejuan
from service.jobs import InputRow, store
from service.scoring import CompiledRubric
from service.storage import Database, Job, SubmissionRow, utcnow

ANSWER = "上级给下级安排任务,上级就是下级的客户;下级向上级要资源,下级也是上级的客户。"


def _job(db: Database, rubric: CompiledRubric) -> str:
    rows = [InputRow(f"考生{i}", ANSWER, {}) for i in range(4)]
    job, _ = store.create_job(
        db,
        rubric_id=rubric.rubric.id,
        rubric_version=rubric.rubric.version,
        grading_fingerprint=rubric.fingerprint,
        rows=rows,
        columns=[],
        source="json",
    )
    return job.id


def _back(db: Database, job_id: str, days: float, *, ended: bool = True) -> None:
    """Move the job's creation (and its end, if it ended) ``days`` days back."""
    when = utcnow() - timedelta(days=days)
    values = {"created_at": when, **({"started_at": when, "finished_at": when} if ended else {})}
    with db.session() as s:
        s.execute(update(Job).where(Job.id == job_id).values(values))


def _submissions(db: Database, job_id: str) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(SubmissionRow).where(SubmissionRow.job_id == job_id)) or 0)


def test_jobs_that_ended_before_the_retention_period_are_purged_by_the_server(
    store_url: str, tmp_path: Path, ic: CompiledRubric
) -> None:
    db = Database(store_url)
    db.upgrade()
    cancelled, failed, recent, queued = (_job(db, ic) for _ in range(4))
    for job_id in (cancelled, recent):
        store.cancel_job(db, job_id=job_id)
    store.fail_job(db, job_id=failed, code="rubric_version_changed", message="评分标准已更换版本")
    _back(db, cancelled, 31)
    _back(db, failed, 400)
    _back(db, recent, 29)
    _back(db, queued, 90, ended=False)  # made long ago, graded only now: it ends today
    server = ServerProcess({"YUEJUAN_DATABASE_URL": store_url, "YUEJUAN_JOB_RETENTION_DAYS": "30"}, tmp_path / "log")
    try:
        server.start()
        deadline = time.monotonic() + 60
        while api.get(f"{server.url}/v1/jobs/{failed}").status_code != 410:
            assert time.monotonic() < deadline, "the expired jobs were not purged"
            time.sleep(0.1)
        gone = api.get(f"{server.url}/v1/jobs/{cancelled}")
        assert gone.status_code == 410 and gone.json()["error"]["code"] == "job_purged"
        queued_job = wait_for_job(server.url, queued)
        assert queued_job["status"] == "done"
        assert api.get(f"{server.url}/v1/jobs/{recent}").json()["status"] == "cancelled"
        assert [_submissions(db, j) for j in (cancelled, failed, recent, queued)] == [0, 0, 4, 4]
        log = server.log.read_text(encoding="utf-8")
        lines = [line for line in log.splitlines() if "保留期限" in line]
        assert len(lines) == 2, log
        for job_id, status in ((cancelled, "cancelled"), (failed, "failed")):
            (line,) = [line for line in lines if job_id in line]
            assert f"状态 {status}" in line and "4 份作答" in line and "30 天" in line
    finally:
        server.stop()
        db.dispose()


def test_a_retention_period_that_is_no_number_of_days_is_refused_in_chinese() -> None:
    run = yuejuan("keys", "list", env={"YUEJUAN_JOB_RETENTION_DAYS": "三十"})
    assert run.returncode == 2
    assert run.stderr.startswith("错误 [invalid_setting]:环境变量 YUEJUAN_JOB_RETENTION_DAYS 的值 '三十' 无效")
