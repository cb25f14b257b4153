"""Chunk leases and commits on real databases: a chunk's results are stored once, whoever grades it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from service.errors import IdempotencyConflictError, JobPurgedError, JobStateError, UnknownJobError
from service.jobs import InputRow, Outcome, store
from service.storage import Chunk, Database, Job, SubmissionRow, utcnow

ANSWERS = ["上级给下级安排任务,上级就是下级的客户。", "", "财务部门为销售部门提供报表,销售部门是财务部门的客户。"]


@pytest.fixture
def db(store_url: str) -> Iterator[Database]:
    database = Database(store_url)
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


def test_a_chunk_named_by_a_message_is_graded_once_however_often_it_is_delivered(db: Database) -> None:
    job_id = _create(db)
    first = store.mark_enqueued(db, limit=10)
    assert len(first) == 3 and store.mark_enqueued(db, limit=10) == []  # stamped: not sent twice
    chunk_id = first[0]
    taken = store.claim_chunk(db, chunk_id=chunk_id, owner="w1", lease_seconds=600)
    assert taken is not None and len(taken.items) == 10
    # A duplicate delivery while w1 grades it: refused, then refused again once it is done.
    assert store.claim_chunk(db, chunk_id=chunk_id, owner="w2", lease_seconds=600) is None
    assert store.renew_lease(db, chunk_id=chunk_id, owner="w1", lease_seconds=600)
    assert not store.renew_lease(db, chunk_id=chunk_id, owner="w2", lease_seconds=600)
    assert store.commit_chunk(db, chunk=taken, owner="w1", outcomes=_fake_results(taken))
    assert store.claim_chunk(db, chunk_id=chunk_id, owner="w2", lease_seconds=600) is None
    job = store.get_job(db, job_id=job_id)
    assert (job.status, job.done) == ("running", 10)


def test_a_dead_workers_chunk_is_sent_again_and_its_results_stored_once(db: Database) -> None:
    job_id = _create(db)
    ids = store.mark_enqueued(db, limit=10)
    lost = store.claim_chunk(db, chunk_id=ids[0], owner="w1", lease_seconds=0.0)  # w1 dies holding it
    assert lost is not None
    assert store.expire_leases(db) == 1
    assert store.mark_enqueued(db, limit=10) == [ids[0]]  # freed, so sent again
    again = store.claim_chunk(db, chunk_id=ids[0], owner="w2", lease_seconds=600)
    assert again is not None and again.items == lost.items
    assert not store.commit_chunk(db, chunk=lost, owner="w1", outcomes=_fake_results(lost))
    assert store.commit_chunk(db, chunk=again, owner="w2", outcomes=_fake_results(again))
    # A holder on this host whose process is gone is known dead at once, without waiting for its lease.
    held = store.claim_chunk(db, chunk_id=ids[1], owner="w3", lease_seconds=600)
    assert held is not None
    taken = store.claim_chunk(db, chunk_id=ids[1], owner="w4", lease_seconds=600, is_dead=lambda o: o == "w3")
    assert taken is not None and store.commit_chunk(db, chunk=taken, owner="w4", outcomes=_fake_results(taken))
    # Sent long ago and never taken (the message was lost): picked again only when asked for stale ones.
    assert store.mark_enqueued(db, limit=10) == []
    assert store.mark_enqueued(db, limit=10, sent_before=utcnow()) == [ids[2]]
    store.unmark_enqueued(db, chunk_ids=[ids[2]])  # the broker refused the message
    assert store.mark_enqueued(db, limit=10) == [ids[2]]
    last = store.claim_chunk(db, chunk_id=ids[2], owner="w2", lease_seconds=600)
    assert last is not None and store.commit_chunk(db, chunk=last, owner="w2", outcomes=_fake_results(last))
    job = store.get_job(db, job_id=job_id)
    assert (job.status, job.done, job.total) == ("done", 25, 25)
    with db.session() as s:
        graded = s.scalar(select(func.count()).where(SubmissionRow.job_id == job_id, SubmissionRow.status == "done"))
    assert graded == 25


def test_a_chunk_that_keeps_killing_its_workers_fails_the_job(db: Database) -> None:
    job_id = _create(db)
    chunk_id = store.mark_enqueued(db, limit=1)[0]
    for _ in range(store.MAX_CHUNK_ATTEMPTS):
        assert store.claim_chunk(db, chunk_id=chunk_id, owner="w", lease_seconds=0.0) is not None
    assert store.claim_chunk(db, chunk_id=chunk_id, owner="w", lease_seconds=600) is None
    job = store.get_job(db, job_id=job_id)
    assert (job.status, job.error_code) == ("failed", "grading_crashed")


def test_one_process_only_sends_a_webhook(db: Database) -> None:
    job, _ = store.create_job(
        db, rubric_id="internal-customer", rubric_version="v1", rows=_rows(3), columns=[], source="json",
        callback_url="https://lms.example.edu/hook",
    )  # fmt: skip
    store.cancel_job(db, job_id=job.id)
    assert [j.id for j in store.webhooks_due(db)] == [job.id]
    assert store.claim_webhook(db, job_id=job.id, lease_seconds=600)
    assert not store.claim_webhook(db, job_id=job.id, lease_seconds=600)  # a second API replica
    assert store.webhooks_due(db) == []
    store.set_webhook_state(db, job_id=job.id, status="pending", attempts=1, error="stopped")  # sender shut down
    assert store.claim_webhook(db, job_id=job.id, lease_seconds=0.0)
    assert [j.id for j in store.webhooks_due(db)] == [job.id]  # its sender died: due again


def test_a_job_is_its_owners_and_one_made_before_owners_is_everyones(db: Database) -> None:
    def create(owner: str | None) -> str:
        job, _ = store.create_job(
            db, rubric_id="internal-customer", rubric_version="v1", rows=_rows(3), columns=["班级"],
            source="json", owner=owner,
        )  # fmt: skip
        return job.id

    mine, theirs, legacy = create("aaaa1111"), create("bbbb2222"), create(None)
    jobs, total = store.list_jobs(db, limit=10, offset=0, owner="aaaa1111")
    assert {j.id for j in jobs} == {mine, legacy} and total == 2
    assert store.list_jobs(db, limit=10, offset=0)[1] == 3  # an admin (no owner) sees every job
    assert store.get_job(db, job_id=legacy, owner="aaaa1111").id == legacy
    with pytest.raises(UnknownJobError):
        store.get_job(db, job_id=theirs, owner="aaaa1111")
    with pytest.raises(UnknownJobError):
        store.cancel_job(db, job_id=theirs, owner="aaaa1111")
    assert store.get_job(db, job_id=theirs).status == "queued"


def _finish_all(db: Database, job_id: str) -> None:
    while chunks := [c for c in store.claim_chunks(db, owner="w", limit=10, lease_seconds=600) if c.job_id == job_id]:
        for chunk in chunks:
            assert store.commit_chunk(db, chunk=chunk, owner="w", outcomes=_fake_results(chunk))


def _ended(db: Database, job_id: str, days_ago: float) -> None:
    """Move the job's end (and its start) back in time, as if it had ended ``days_ago`` days ago."""
    when = utcnow() - timedelta(days=days_ago)
    with db.session() as s:
        s.execute(update(Job).where(Job.id == job_id).values(created_at=when, started_at=when, finished_at=when))


def _left_of(db: Database, job_id: str) -> tuple[int, int, dict[str, object]]:
    """What the tables still hold of a job: its submissions, its chunks, and its own row."""
    with db.session() as s:
        submissions = s.scalar(select(func.count()).select_from(SubmissionRow).where(SubmissionRow.job_id == job_id))
        chunks = s.scalar(select(func.count()).select_from(Chunk).where(Chunk.job_id == job_id))
        row = s.execute(select(Job.__table__).where(Job.id == job_id)).mappings().one()
    return int(submissions or 0), int(chunks or 0), dict(row)


def test_a_purged_job_keeps_no_answer_and_work_still_held_on_it_is_dropped(db: Database) -> None:
    job_id = _create(db, key="一班-期末")
    other = _create(db, n=3)
    held = [c for c in store.claim_chunks(db, owner="w", limit=10, lease_seconds=600) if c.job_id == job_id]
    assert store.commit_chunk(db, chunk=held[0], owner="w", outcomes=_fake_results(held[0]))
    with pytest.raises(JobStateError) as running:
        store.purge_job(db, job_id=job_id)
    assert running.value.code == "job_active" and "请先取消" in str(running.value)
    store.cancel_job(db, job_id=job_id)

    purged = store.purge_job(db, job_id=job_id)
    assert (purged.id, purged.status, purged.submissions) == (job_id, "cancelled", 25)
    submissions, chunks, row = _left_of(db, job_id)
    assert (submissions, chunks, row["status"], row["purged_at"] is not None) == (0, 0, "purged", True)
    kept = " ".join(str(value) for value in row.values())
    assert not any(text in kept for text in [*filter(None, ANSWERS), "考生", "班级", "一班-期末"])
    # A worker still grading a chunk of it loses the chunk quietly, and a late message finds nothing.
    late = held[1]
    assert not store.renew_lease(db, chunk_id=late.id, owner="w", lease_seconds=600)
    assert not store.commit_chunk(db, chunk=late, owner="w", outcomes=_fake_results(late))
    store.release_chunk(db, chunk_id=late.id, owner="w")
    store.fail_job(db, job_id=job_id, code="grading_crashed", message="")
    assert store.claim_chunk(db, chunk_id=late.id, owner="v", lease_seconds=600) is None
    assert _left_of(db, job_id)[:2] == (0, 0)
    # From now on the job says it was purged, is no longer listed, and the same request makes a new job.
    for call in (store.get_job, store.cancel_job, store.purge_job):
        with pytest.raises(JobPurgedError):
            call(db, job_id=job_id)
    assert [j.id for j in store.list_jobs(db, limit=10, offset=0)[0]] == [other]
    assert _create(db, key="一班-期末") != job_id
    assert store.get_job(db, job_id=other).total == 3 and _left_of(db, other)[0] == 3


def test_only_jobs_that_ended_before_the_cutoff_are_purged_once(db: Database) -> None:
    old_done, old_failed, old_running, recent = (_create(db, n=5) for _ in range(4))
    _finish_all(db, old_done)
    store.fail_job(db, job_id=old_failed, code="rubric_version_changed", message="评分标准已更换版本")
    store.claim_chunks(db, owner="w", limit=1, lease_seconds=600)  # old_running starts …
    for job_id in (old_done, old_failed, old_running):
        _ended(db, job_id, days_ago=40)  # … 40 days ago, and is still running
    store.cancel_job(db, job_id=recent)
    assert {store.get_job(db, job_id=j).status for j in (old_running, recent)} == {"running", "cancelled"}

    purged = store.purge_finished(db, finished_before=utcnow() - timedelta(days=30))
    assert sorted((p.id, p.status, p.submissions) for p in purged) == sorted(
        [(old_done, "done", 5), (old_failed, "failed", 5)]
    )
    assert store.purge_finished(db, finished_before=utcnow() - timedelta(days=30)) == []
    assert [_left_of(db, j)[0] for j in (old_done, old_failed, old_running, recent)] == [0, 0, 5, 5]


def test_a_purge_leaves_no_answer_anywhere_in_the_sqlite_files(tmp_path: Path) -> None:
    # The server still running, its database open: neither the database file nor its write-ahead log may
    # keep the purged answers' bytes (the log held every one until it started over).
    db = Database(f"sqlite:///{tmp_path / 'jobs.db'}")
    db.upgrade()
    try:
        marker = "这份作答只应保存到删除为止"
        jobs = []
        for _ in range(2):
            rows = [InputRow(f"S{i:03d}", f"{marker}{i}") for i in range(50)]
            job, _ = store.create_job(
                db, rubric_id="internal-customer", rubric_version="1", rows=rows, columns=[], source="json"
            )
            store.cancel_job(db, job_id=job.id)
            jobs.append(job.id)

        def copies() -> int:
            return sum(f.read_bytes().count(marker.encode()) for f in tmp_path.iterdir() if f.is_file())

        assert copies() >= 100
        store.purge_job(db, job_id=jobs[0])
        assert 0 < copies() < 100
        _ended(db, jobs[1], days_ago=40)
        assert [p.id for p in store.purge_finished(db, finished_before=utcnow() - timedelta(days=30))] == [jobs[1]]
        assert copies() == 0
    finally:
        db.dispose()


@pytest.mark.parametrize("claim", ["one chunk", "the next chunks"])
def test_a_cancel_and_a_claim_of_the_same_job_wait_for_each_other(pg_schema: str, claim: str) -> None:
    """A cancel locks the job, then its chunks. A claim used to lock the chunk, then write the job (queued ->
    running): with both under way, PostgreSQL found a deadlock and cancelled one of them, and the API
    answered the DELETE with 503. Claims now take the job first, so the two wait for each other (or the
    claim of the next free chunks passes the locked job by)."""
    db = Database(pg_schema)
    db.upgrade()
    job_id = _create(db, n=10)
    with db.session() as s:
        chunk_id = s.scalar(select(Chunk.id).where(Chunk.job_id == job_id))
    claimed: list[object] = []

    def take() -> None:
        if claim == "one chunk":
            claimed.append(store.claim_chunk(db, chunk_id=chunk_id, owner="w", lease_seconds=600))
        else:
            claimed.append(store.claim_chunks(db, owner="w", limit=5, lease_seconds=600))

    try:
        with db.engine.connect() as cancel:
            cancelling = cancel.begin()
            cancel.execute(select(Job.id).where(Job.id == job_id).with_for_update())  # a cancel has begun
            taker = threading.Thread(target=take)
            taker.start()
            deadline = time.monotonic() + 30
            waiting = "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and pid <> pg_backend_pid()"
            # The claim waits for the lock, or passes the locked job by (claim_chunks skips locked jobs).
            while taker.is_alive() and not cancel.execute(text(waiting)).scalar():
                assert time.monotonic() < deadline, "the claim neither waited nor ended"
                time.sleep(0.05)
                cancel.execute(text("select pg_stat_clear_snapshot()"))  # a transaction sees one snapshot
            cancel.execute(update(Chunk).where(Chunk.job_id == job_id).values(status="cancelled"))
            cancel.execute(update(Job).where(Job.id == job_id).values(status="cancelled", finished_at=utcnow()))
            cancelling.commit()
        taker.join(30)
        assert claimed in ([None], [[]])  # it found the job cancelled, and took nothing
    finally:
        db.dispose()
