"""Database access for batch jobs. Every function takes the Database and keyword-only arguments.

Chunks are leased compare-and-set style (an UPDATE that only succeeds on a free or expired
chunk), and a chunk's results are committed in the same transaction that marks it done, by
the lease holder only: a chunk's results are stored exactly once, whoever grades it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Result, Table, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ..errors import IdempotencyConflictError, JobPurgedError, JobStateError, UnknownJobError
from ..storage import Chunk, Database, Job, SubmissionRow, utcnow
from .files import InputRow
from .grading import Outcome
from .report import ReportInput

__all__ = [
    "ACTIVE",
    "FINISHED",
    "ClaimedChunk",
    "PurgedJob",
    "cancel_job",
    "claim_chunk",
    "claim_chunks",
    "claim_webhook",
    "commit_chunk",
    "create_job",
    "expire_leases",
    "fail_job",
    "get_job",
    "iter_submissions",
    "list_jobs",
    "mark_enqueued",
    "page_submissions",
    "purge_finished",
    "purge_job",
    "release_chunk",
    "release_leases",
    "release_unattended",
    "renew_lease",
    "report_rows",
    "set_webhook_state",
    "unmark_enqueued",
    "webhooks_due",
]

ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "cancelled")
# A job whose data was deleted: its row stays, emptied, so that its endpoints can say so (410).
PURGED = "purged"
_SUBMISSIONS = cast(Table, SubmissionRow.__table__)
_STORE_RESULT = (
    _SUBMISSIONS.update()
    .where(
        _SUBMISSIONS.c.job_id == bindparam("b_job"),
        _SUBMISSIONS.c.seq == bindparam("b_seq"),
        _SUBMISSIONS.c.status == "pending",
    )
    .values(
        {
            name: bindparam(f"b_{name}", type_=_SUBMISSIONS.c[name].type)
            for name in (
                "status", "score", "max_score", "needs_review", "flags", "points", "result",
                "rubric_version", "engine_version", "error_code", "error_message", "graded_at",
            )
        }
    )
)  # fmt: skip
MAX_CHUNK_ATTEMPTS = 5
WEBHOOK_LEASE_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class ClaimedChunk:
    id: int
    job_id: str
    rubric_id: str
    rubric_version: str
    items: list[tuple[int, str]]
    fingerprint: str | None = None  # how the job's grades are made (CompiledRubric.fingerprint)


@dataclass(frozen=True, slots=True)
class PurgedJob:
    """What a purge removed: the job and how many of its submissions."""

    id: str
    status: str  # the status the job had ended in (done, failed, cancelled)
    finished_at: datetime | None
    purged_at: datetime
    submissions: int


def _rowcount(result: Result[Any]) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def _digest(rubric_id: str, callback_url: str | None, rows: Sequence[InputRow]) -> str:
    h = hashlib.sha256(json.dumps([rubric_id, callback_url], ensure_ascii=False).encode())
    for row in rows:
        h.update(json.dumps([row.id, row.answer, row.extra], ensure_ascii=False, sort_keys=True).encode())
    return h.hexdigest()


def _scoped_key(owner: str | None, key: str) -> str:
    """What is stored for an Idempotency-Key: a digest of the key together with the API key that sent
    it, so that two callers who pick the same key (say, "upload-1") never see each other's jobs. The
    unique column holds the digest (64 characters): scoping needs no table rebuild, and the raw keys of
    jobs made before scoping match no new request."""
    return hashlib.sha256(json.dumps([owner or "", key], ensure_ascii=False).encode()).hexdigest()


def _existing(db: Database, key: str, scoped: str, digest: str, source: str) -> Job | None:
    with db.session() as s:
        job = s.scalars(select(Job).where(Job.idempotency_key == scoped)).first()
    # The same rows sent as JSON and then as a CSV or XLSX upload are two requests, not a retry.
    if job is not None and (job.request_digest != digest or job.source != source):
        raise IdempotencyConflictError(key)
    return job


def create_job(
    db: Database,
    *,
    rubric_id: str,
    rubric_version: str,
    rows: Sequence[InputRow],
    columns: Sequence[str],
    source: str,
    grading_fingerprint: str | None = None,
    filename: str | None = None,
    header_row: int | None = None,
    callback_url: str | None = None,
    idempotency_key: str | None = None,
    idempotency_owner: str | None = None,
    owner: str | None = None,
    chunk_size: int = 200,
) -> tuple[Job, bool]:
    """Store a job with its submissions and chunks; returns (job, created). Idempotent by key, within
    what ``idempotency_owner`` (the calling API key's id) sent before. ``owner``: the key id of the
    API key that creates the job, the only one besides admins that may see it (see ``get_job``)."""
    digest = _digest(rubric_id, callback_url, rows)
    scoped = _scoped_key(idempotency_owner, idempotency_key) if idempotency_key else None
    if idempotency_key and scoped and (job := _existing(db, idempotency_key, scoped, digest, source)) is not None:
        return job, False
    job = Job(
        id=uuid.uuid4().hex,
        rubric_id=rubric_id,
        rubric_version=rubric_version,
        grading_fingerprint=grading_fingerprint,
        status="queued",
        total=len(rows),
        done=0,
        errors=0,
        columns=list(columns),
        source=source,
        filename=filename,
        header_row=header_row,
        callback_url=callback_url,
        idempotency_key=scoped,
        owner_key_id=owner,
        request_digest=digest,
        created_at=utcnow(),
        webhook_attempts=0,
    )
    try:
        with db.session() as s:
            s.add(job)
            s.flush()
            for start in range(0, len(rows), 2000):
                batch = [
                    {"job_id": job.id, "seq": start + i, "submission_id": r.id, "answer": r.answer, "extra": r.extra}
                    for i, r in enumerate(rows[start : start + 2000])
                ]
                s.execute(insert(SubmissionRow), [{**b, "status": "pending"} for b in batch])
            chunks = [
                {
                    "job_id": job.id,
                    "number": n,
                    "first_seq": first,
                    "last_seq": min(first + chunk_size, len(rows)) - 1,
                    "status": "pending",
                    "attempts": 0,
                }
                for n, first in enumerate(range(0, len(rows), chunk_size))
            ]
            s.execute(insert(Chunk), chunks)
    except IntegrityError:
        # Two requests raced with the same Idempotency-Key: the other one won.
        if idempotency_key and scoped and (other := _existing(db, idempotency_key, scoped, digest, source)) is not None:
            return other, False
        raise
    return job, True


def _visible(job: Job | None, owner: str | None) -> bool:
    """Whether a caller limited to ``owner``'s jobs may see ``job`` (``owner`` None: every job)."""
    return job is not None and (owner is None or job.owner_key_id in (None, owner))


def get_job(db: Database, *, job_id: str, owner: str | None = None) -> Job:
    """The job; with ``owner`` (an API key's id), only a job of that key (or one without an owner):
    another caller's job is unknown, as if it did not exist."""
    with db.session() as s:
        return _callers_job(s, job_id, owner)


def _callers_job(s: Session, job_id: str, owner: str | None, *, lock: bool = False) -> Job:
    """The job as ``get_job`` shows it (unknown to another key, 410 once purged); ``lock``: for update."""
    job = s.get(Job, job_id, with_for_update=lock)
    if job is None or not _visible(job, owner):
        raise UnknownJobError(job_id)
    if job.status == PURGED:
        assert job.purged_at is not None
        raise JobPurgedError(job.id, job.purged_at)
    return job


def list_jobs(
    db: Database, *, limit: int, offset: int, status: str | None = None, owner: str | None = None
) -> tuple[list[Job], int]:
    """Jobs newest first, with their count; with ``owner``, only those ``get_job`` would show it."""
    with db.session() as s:
        # A purged job holds nothing to list; its id still answers 410 (get_job).
        query = select(Job).where(Job.status != PURGED)
        counted = select(func.count()).select_from(Job).where(Job.status != PURGED)
        if status:
            query, counted = query.where(Job.status == status), counted.where(Job.status == status)
        if owner is not None:
            mine = or_(Job.owner_key_id == owner, Job.owner_key_id.is_(None))
            query, counted = query.where(mine), counted.where(mine)
        jobs = list(s.scalars(query.order_by(Job.created_at.desc(), Job.id).limit(limit).offset(offset)))
        return jobs, int(s.scalar(counted) or 0)


def page_submissions(db: Database, *, job_id: str, offset: int, limit: int) -> list[SubmissionRow]:
    with db.session() as s:
        query = select(SubmissionRow).where(SubmissionRow.job_id == job_id, SubmissionRow.seq >= offset)
        return list(s.scalars(query.order_by(SubmissionRow.seq).limit(limit)))


def iter_submissions(db: Database, *, job_id: str, batch: int = 1000) -> Iterator[SubmissionRow]:
    """Every submission of the job in order, read in batches (memory stays flat)."""
    offset = 0
    while rows := page_submissions(db, job_id=job_id, offset=offset, limit=batch):
        yield from rows
        offset = rows[-1].seq + 1


def report_rows(db: Database, *, job_id: str, batch: int = 5000) -> Iterator[ReportInput]:
    """What the report needs of each submission, without the stored result documents."""
    t = SubmissionRow
    offset = 0
    while True:
        with db.session() as s:
            rows = s.execute(
                select(t.seq, t.submission_id, t.answer, t.status, t.score, t.flags, t.points, t.needs_review)
                .where(t.job_id == job_id, t.seq >= offset)
                .order_by(t.seq)
                .limit(batch)
            ).all()
        if not rows:
            return
        for _seq, sid, answer, status, score, flags, points, review in rows:
            yield ReportInput(sid, answer, status, score, flags or [], points or {}, bool(review))
        offset = rows[-1][0] + 1


def _finish(job: Job, status: str) -> None:
    job.status = status
    job.finished_at = utcnow()
    if job.callback_url:
        job.webhook_status = "pending"


def _close_chunks(s: Any, job_id: str, status: str) -> None:
    s.execute(
        update(Chunk).where(Chunk.job_id == job_id, Chunk.status.in_(("pending", "leased"))).values(status=status)
    )


def cancel_job(db: Database, *, job_id: str, owner: str | None = None) -> Job:
    with db.session() as s:
        job = _callers_job(s, job_id, owner, lock=True)
        if job.status not in ACTIVE:
            raise JobStateError("job_finished", f"作业已结束(状态 {job.status}),无法取消。")
        _close_chunks(s, job_id, "cancelled")
        _finish(job, "cancelled")
    return job


@contextmanager
def _secure_delete(s: Session) -> Iterator[None]:
    """On SQLite, deletions inside overwrite what they delete (``secure_delete``): the file would otherwise
    keep deleted rows' bytes in its free pages until they are reused. Only for purges, as it slows every
    write that frees space: the connection goes back to the pool as it was."""
    sqlite = s.get_bind().dialect.name == "sqlite"
    if sqlite:
        s.connection().exec_driver_sql("PRAGMA secure_delete=ON")
    yield
    if sqlite:
        s.connection().exec_driver_sql("PRAGMA secure_delete=OFF")


def _clear_log(db: Database) -> None:
    """On SQLite, after a purge has committed: its write-ahead log still holds the pages as they were
    before (the answers with them) until the log starts over, which on a busy server may be long. Copy the
    log into the database and empty it now. (A read in progress in another process can keep it from
    being emptied; the next purge tries again.)"""
    if db.dialect == "sqlite":
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _purge(s: Session, job: Job, now: datetime) -> PurgedJob:
    """Delete the job's submissions (answers, results, its input's other fields) and chunks, and empty
    its row of whatever came from the request; the row keeps counts and times, and says when. Called
    inside ``_secure_delete``."""
    ended, finished_at = job.status, job.finished_at
    s.execute(delete(Chunk).where(Chunk.job_id == job.id))
    removed = _rowcount(s.execute(delete(SubmissionRow).where(SubmissionRow.job_id == job.id)))
    job.status, job.purged_at = PURGED, now
    # The file's name and columns, the callback and the digest of the answers came with the candidates'
    # data; the idempotency key goes too, so that sending the same request again makes a new job.
    job.filename, job.columns, job.callback_url, job.idempotency_key, job.request_digest = None, [], None, None, ""
    job.error_message = None
    job.webhook_status, job.webhook_error, job.webhook_lease_expires = None, None, None
    s.flush()
    return PurgedJob(job.id, ended, finished_at, now, removed)


def purge_job(db: Database, *, job_id: str, owner: str | None = None) -> PurgedJob:
    """Delete a finished job's submissions, answers and results for good (see ``_purge``). A queued or
    running job is refused (``job_active``): cancel it first. ``owner`` as for ``get_job``."""
    with db.session() as s:
        job = _callers_job(s, job_id, owner, lock=True)
        if job.status in ACTIVE:
            message = f"作业仍在进行(状态 {job.status}),不能删除其数据:请先取消作业(DELETE /v1/jobs/{job_id})。"
            raise JobStateError("job_active", message)
        with _secure_delete(s):
            purged = _purge(s, job, utcnow())
    _clear_log(db)
    return purged


def purge_finished(db: Database, *, finished_before: datetime, limit: int = 100) -> list[PurgedJob]:
    """Purge up to ``limit`` jobs that ended (done, failed, cancelled) before ``finished_before``,
    oldest first; returns them. Several processes may run it at once: each job is purged once."""
    now = utcnow()
    with db.session() as s:
        jobs = s.scalars(
            select(Job)
            .where(Job.status.in_(FINISHED), Job.finished_at < finished_before)
            .order_by(Job.finished_at, Job.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        with _secure_delete(s):
            purged = [_purge(s, job, now) for job in jobs]
    if purged:
        _clear_log(db)
    return purged


def fail_job(db: Database, *, job_id: str, code: str, message: str) -> None:
    with db.session() as s:
        job = s.get(Job, job_id, with_for_update=True)
        if job is None or job.status not in ACTIVE:
            return
        _close_chunks(s, job_id, "failed")
        job.error_code, job.error_message = code, message
        _finish(job, "failed")


def _give_up(s: Any, job_id: str, attempts: int) -> None:
    job = s.get(Job, job_id, with_for_update=True)
    if job is not None and job.status in ACTIVE:
        _close_chunks(s, job_id, "failed")
        job.error_code = "grading_crashed"
        job.error_message = f"同一批作答已尝试评分 {attempts} 次仍未完成,作业已停止。"
        _finish(job, "failed")


def _lease(
    s: Any, *, chunk_id: int, job_id: str, first: int, last: int, owner: str, lease_seconds: float, guard: Any
) -> ClaimedChunk | None:
    """Take the chunk if ``guard`` (its free state) still holds, and load its ungraded answers."""
    now = utcnow()
    won = _rowcount(
        s.execute(
            update(Chunk)
            .where(Chunk.id == chunk_id, guard)
            .values(
                status="leased",
                lease_owner=owner,
                lease_expires=now + timedelta(seconds=lease_seconds),
                attempts=Chunk.attempts + 1,
            )
        )
    )
    if not won:
        return None
    job = s.get(Job, job_id)
    assert job is not None
    if job.status == "queued":
        job.status, job.started_at = "running", now
    items = s.execute(
        select(SubmissionRow.seq, SubmissionRow.answer)
        .where(
            SubmissionRow.job_id == job_id,
            SubmissionRow.seq.between(first, last),
            SubmissionRow.status == "pending",
        )
        .order_by(SubmissionRow.seq)
    ).all()
    pairs = [(int(seq), str(answer)) for seq, answer in items]
    return ClaimedChunk(chunk_id, job_id, job.rubric_id, job.rubric_version, pairs, job.grading_fingerprint)


def claim_chunks(db: Database, *, owner: str, limit: int, lease_seconds: float) -> list[ClaimedChunk]:
    """Lease up to ``limit`` free chunks, oldest job first, and load their ungraded answers."""
    now = utcnow()
    claimed: list[ClaimedChunk] = []
    free = or_(Chunk.status == "pending", and_(Chunk.status == "leased", Chunk.lease_expires < now))
    with db.session() as s:
        # The jobs first, then their chunks: the order in which a cancel and a chunk's results take them, so
        # that a claim and a cancel of the same job wait for each other instead of deadlocking.
        jobs = s.scalars(
            select(Job.id)
            .where(Job.status.in_(ACTIVE), select(Chunk.id).where(Chunk.job_id == Job.id, free).exists())
            .order_by(Job.created_at, Job.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not jobs:
            return claimed
        candidates = s.execute(
            select(Chunk.id, Chunk.job_id, Chunk.attempts, Chunk.first_seq, Chunk.last_seq)
            .join(Job, Job.id == Chunk.job_id)
            .where(Job.id.in_(jobs), Job.status.in_(ACTIVE), free)
            .order_by(Job.created_at, Chunk.job_id, Chunk.number)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Chunk)
        ).all()
        for chunk_id, job_id, attempts, first, last in candidates:
            if attempts >= MAX_CHUNK_ATTEMPTS:
                _give_up(s, job_id, attempts)
                continue
            chunk = _lease(
                s, chunk_id=chunk_id, job_id=job_id, first=first, last=last, owner=owner,
                lease_seconds=lease_seconds, guard=free,
            )  # fmt: skip
            if chunk is not None:
                claimed.append(chunk)
    return claimed


def claim_chunk(
    db: Database,
    *,
    chunk_id: int,
    owner: str,
    lease_seconds: float,
    is_dead: Callable[[str], bool] = lambda owner: False,
) -> ClaimedChunk | None:
    """Lease this one chunk (a broker message named it), or None when it is not free: already
    done, its job ended, or leased by a live holder. A lease whose holder ``is_dead(owner)`` is free."""
    now = utcnow()
    with db.session() as s:
        job_id = s.scalar(select(Chunk.job_id).where(Chunk.id == chunk_id))
        if job_id is None:
            return None
        # The job first, then the chunk, as a cancel takes them (see claim_chunks).
        s.execute(select(Job.id).where(Job.id == job_id).with_for_update())
        row = s.execute(
            select(Chunk.job_id, Chunk.status, Chunk.lease_owner, Chunk.lease_expires, Chunk.attempts)
            .add_columns(Chunk.first_seq, Chunk.last_seq, Job.status)
            .join(Job, Job.id == Chunk.job_id)
            .where(Chunk.id == chunk_id)
            .with_for_update(skip_locked=True, of=Chunk)
        ).first()
        if row is None:
            return None
        job_id, status, holder, expires, attempts, first, last, job_status = row
        if job_status not in ACTIVE:
            return None
        if status == "leased":
            if holder is None or not (expires is None or expires < now or is_dead(holder)):
                return None
        elif status != "pending":
            return None
        if attempts >= MAX_CHUNK_ATTEMPTS:
            _give_up(s, job_id, attempts)
            return None
        guard = and_(Chunk.status == status, Chunk.lease_owner.is_not_distinct_from(holder))
        return _lease(
            s, chunk_id=chunk_id, job_id=job_id, first=first, last=last, owner=owner,
            lease_seconds=lease_seconds, guard=guard,
        )  # fmt: skip


def renew_lease(db: Database, *, chunk_id: int, owner: str, lease_seconds: float) -> bool:
    """Extend ``owner``'s lease on a chunk it is still grading; False when the lease is gone
    (it expired and someone else took the chunk, or the job was cancelled): stop grading it."""
    with db.session() as s:
        return bool(
            _rowcount(
                s.execute(
                    update(Chunk)
                    .where(Chunk.id == chunk_id, Chunk.lease_owner == owner, Chunk.status == "leased")
                    .values(lease_expires=utcnow() + timedelta(seconds=lease_seconds))
                )
            )
        )


def commit_chunk(db: Database, *, chunk: ClaimedChunk, owner: str, outcomes: Sequence[Outcome]) -> bool:
    """Store a chunk's results and mark it done, if ``owner`` still holds its lease; True when stored."""
    now = utcnow()
    with db.session() as s:
        job = s.get(Job, chunk.job_id, with_for_update=True)  # one commit per job at a time
        if job is None:
            return False
        held = _rowcount(
            s.execute(
                update(Chunk)
                .where(Chunk.id == chunk.id, Chunk.lease_owner == owner, Chunk.status == "leased")
                .values(status="done", lease_owner=None, lease_expires=None)
            )
        )
        if not held:
            return False
        errors = 0
        params = []
        for o in outcomes:
            r = o.result or {}
            errors += o.result is None
            params.append(
                {
                    "b_job": chunk.job_id,
                    "b_seq": o.seq,
                    "b_status": "done" if o.result is not None else "error",
                    "b_score": r.get("score"),
                    "b_max_score": r.get("max_score"),
                    "b_needs_review": r.get("needs_review"),
                    "b_flags": [f["code"] for f in r["flags"]] if o.result is not None else None,
                    "b_points": {i["concept_id"]: i["status"] for i in r["items"]} if o.result is not None else None,
                    "b_result": o.result,
                    "b_rubric_version": r.get("rubric_version"),
                    "b_engine_version": r.get("engine_version"),
                    "b_error_code": o.error_code,
                    "b_error_message": o.error_message,
                    "b_graded_at": now,
                }
            )
        if params:  # one statement, executed for many rows: far cheaper than one ORM update each
            s.connection().execute(_STORE_RESULT, params)
        job.done += len(outcomes)
        job.errors += errors
        remaining = s.scalar(
            select(func.count()).select_from(Chunk).where(Chunk.job_id == chunk.job_id, Chunk.status != "done")
        )
        if not remaining and job.status == "running":
            _finish(job, "done")
    return True


_FREED = {"status": "pending", "lease_owner": None, "lease_expires": None, "enqueued_at": None}


def release_chunk(db: Database, *, chunk_id: int, owner: str, requeued: bool = False) -> None:
    """Give a leased chunk back (its worker crashed); another worker may take it. ``requeued``:
    the caller has already sent a broker message for it (a retry), so it needs no other."""
    values = {**_FREED, "enqueued_at": utcnow()} if requeued else _FREED
    with db.session() as s:
        s.execute(
            update(Chunk)
            .where(Chunk.id == chunk_id, Chunk.lease_owner == owner, Chunk.status == "leased")
            .values(values)
        )


def release_unattended(db: Database, *, owner: str, grading: Collection[int]) -> int:
    """Free the chunks leased to ``owner`` that it is not grading (``grading``: the ids it is); returns
    how many. A claim whose commit reached the database while the connection dropped before the answer
    came back leaves such leases: the holder never learnt it had them, and nobody else may take them
    until they run out (ten minutes by default). The attempt is counted all the same."""
    with db.session() as s:
        query = update(Chunk).where(Chunk.status == "leased", Chunk.lease_owner == owner)
        if grading:
            query = query.where(Chunk.id.not_in(list(grading)))
        return _rowcount(s.execute(query.values(_FREED)))


def release_leases(db: Database, *, is_dead: Callable[[str], bool]) -> int:
    """Free the leases whose owner ``is_dead(owner)`` says is gone; returns how many."""
    with db.session() as s:
        owners = s.scalars(select(Chunk.lease_owner).where(Chunk.status == "leased").distinct()).all()
        dead = [o for o in owners if o is not None and is_dead(o)]
        if not dead:
            return 0
        return _rowcount(
            s.execute(update(Chunk).where(Chunk.status == "leased", Chunk.lease_owner.in_(dead)).values(_FREED))
        )


def expire_leases(db: Database) -> int:
    """Free the leases that ran out (their holder died or hangs on another machine); returns how many."""
    with db.session() as s:
        return _rowcount(
            s.execute(update(Chunk).where(Chunk.status == "leased", Chunk.lease_expires < utcnow()).values(_FREED))
        )


def mark_enqueued(db: Database, *, limit: int, sent_before: datetime | None = None) -> list[int]:
    """Pick up to ``limit`` free chunks of active jobs that need a broker message, oldest job first,
    and stamp them as sent; returns their ids. Without ``sent_before`` only chunks never sent (or
    freed since) are picked; with it, also those sent before then that no worker has taken.

    Stamping first, then sending, means a crash in between loses no chunk: it is sent again once
    it is stale. Several dispatchers share the work (rows locked by one are skipped by another).
    """
    now = utcnow()
    due: ColumnElement[bool] = Chunk.enqueued_at.is_(None)
    if sent_before is not None:
        due = or_(due, Chunk.enqueued_at < sent_before)
    with db.session() as s:
        ids = list(
            s.scalars(
                select(Chunk.id)
                .join(Job, Job.id == Chunk.job_id)
                .where(Job.status.in_(ACTIVE), Chunk.status == "pending", due)
                .order_by(Job.created_at, Chunk.job_id, Chunk.number)
                .limit(limit)
                .with_for_update(skip_locked=True, of=Chunk)
            )
        )
        if ids:
            s.execute(update(Chunk).where(Chunk.id.in_(ids)).values(enqueued_at=now))
    return ids


def unmark_enqueued(db: Database, *, chunk_ids: Sequence[int]) -> None:
    """The broker refused these chunks' messages: send them at the next sweep."""
    with db.session() as s:
        s.execute(
            update(Chunk).where(Chunk.id.in_(list(chunk_ids)), Chunk.status == "pending").values(enqueued_at=None)
        )


def _webhook_due(now: datetime) -> Any:
    return or_(
        Job.webhook_status == "pending",
        and_(Job.webhook_status == "sending", Job.webhook_lease_expires < now),
    )


def webhooks_due(db: Database) -> list[Job]:
    """Jobs whose webhook waits to be sent, or whose sender stopped before it finished."""
    with db.session() as s:
        return list(s.scalars(select(Job).where(_webhook_due(utcnow())).order_by(Job.finished_at)))


def claim_webhook(db: Database, *, job_id: str, lease_seconds: float = WEBHOOK_LEASE_SECONDS) -> bool:
    """Take the sending of a job's webhook, so that of several processes only one sends it."""
    now = utcnow()
    with db.session() as s:
        return bool(
            _rowcount(
                s.execute(
                    update(Job)
                    .where(Job.id == job_id, _webhook_due(now))
                    .values(webhook_status="sending", webhook_lease_expires=now + timedelta(seconds=lease_seconds))
                )
            )
        )


def set_webhook_state(db: Database, *, job_id: str, status: str, attempts: int, error: str | None) -> None:
    with db.session() as s:
        s.execute(
            update(Job)
            .where(Job.id == job_id, Job.status != PURGED)  # purged while it was being sent: it stays empty
            .values(webhook_status=status, webhook_attempts=attempts, webhook_error=error, webhook_lease_expires=None)
        )
