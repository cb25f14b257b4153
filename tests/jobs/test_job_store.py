"""Chunk leases and commits on real databases: a chunk's results are stored once, whoever grades it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.errors import IdempotencyConflictError, JobStateError
from service.jobs import InputRow, Outcome, store
from service.storage import Database, SubmissionRow

ANSWERS = ["上级给下级安排任务,上级就是下级的客户。", "", "财务部门为销售部门提供报表,销售部门是财务部门的客户。"]


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'jobs.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_schema")
    database = Database(url)
    database.upgrade()
    yield database
    database.dispose()


def _rows(n: int) -> list[InputRow]:
    return [InputRow(f"考生{i:03d}", ANSWERS[i % 3], {"班级": f"{i % 2 + 1}班"}) for i in range(n)]


def _create(db: Database, n: int = 25, key: str | None = None) -> str:
    job, created = store.create_job(
        db,
        rubric_id="internal-customer",
        rubric_version="v1",
        rows=_rows(n),
        columns=["班级"],
        source="json",
        idempotency_key=key,
        chunk_size=10,
    )
    assert created
    return job.id


def _fake_results(chunk: store.ClaimedChunk) -> list[Outcome]:
    # Stand-in results of the right shape; grading itself is tested elsewhere.
    result = {"score": 1.0, "max_score": 10.0, "needs_review": False, "flags": [], "items": []}
    return [Outcome(seq, {**result, "rubric_version": "v1", "engine_version": "e"}) for seq, _ in chunk.items]


def test_a_chunk_whose_lease_was_lost_cannot_be_committed(db: Database) -> None:
    job_id = _create(db)
    first = store.claim_chunks(db, owner="a", limit=10, lease_seconds=0.0)  # leases that expire at once
    assert [len(c.items) for c in first] == [10, 10, 5]
    again = store.claim_chunks(db, owner="b", limit=10, lease_seconds=600)
    assert sorted(c.id for c in again) == sorted(c.id for c in first)
    for chunk in first:  # the first worker finishes late: its work is refused
        assert not store.commit_chunk(db, chunk=chunk, owner="a", outcomes=_fake_results(chunk))
    for chunk in again:
        assert store.commit_chunk(db, chunk=chunk, owner="b", outcomes=_fake_results(chunk))
        assert not store.commit_chunk(db, chunk=chunk, owner="b", outcomes=_fake_results(chunk))
    job = store.get_job(db, job_id=job_id)
    assert (job.status, job.done, job.total) == ("done", 25, 25)
    with db.session() as s:
        graded = s.scalar(select(func.count()).where(SubmissionRow.job_id == job_id, SubmissionRow.status == "done"))
    assert graded == 25
    assert store.claim_chunks(db, owner="c", limit=10, lease_seconds=600) == []


def test_leases_of_a_dead_owner_are_released(db: Database) -> None:
    _create(db)
    claimed = store.claim_chunks(db, owner="host:1:dead", limit=2, lease_seconds=600)
    assert store.claim_chunks(db, owner="other", limit=10, lease_seconds=600)[0].id not in {c.id for c in claimed}
    assert store.release_leases(db, is_dead=lambda owner: owner == "host:1:dead") == 2
    assert {c.id for c in store.claim_chunks(db, owner="other", limit=10, lease_seconds=600)} == {c.id for c in claimed}


def test_cancel_stops_the_job_and_refuses_late_results(db: Database) -> None:
    job_id = _create(db)
    chunk = store.claim_chunks(db, owner="a", limit=1, lease_seconds=600)[0]
    assert store.cancel_job(db, job_id=job_id).status == "cancelled"
    assert not store.commit_chunk(db, chunk=chunk, owner="a", outcomes=_fake_results(chunk))
    assert store.claim_chunks(db, owner="a", limit=10, lease_seconds=600) == []
    with pytest.raises(JobStateError):
        store.cancel_job(db, job_id=job_id)


def test_idempotency_key_returns_the_same_job_and_refuses_other_content(db: Database) -> None:
    job_id = _create(db, key="sitting-2026-11")
    job, created = store.create_job(
        db, rubric_id="internal-customer", rubric_version="v1", rows=_rows(25), columns=["班级"], source="json",
        idempotency_key="sitting-2026-11", chunk_size=10,
    )  # fmt: skip
    assert (job.id, created) == (job_id, False)
    with pytest.raises(IdempotencyConflictError):
        store.create_job(
            db, rubric_id="internal-customer", rubric_version="v1", rows=_rows(24), columns=["班级"], source="json",
            idempotency_key="sitting-2026-11",
        )  # fmt: skip
