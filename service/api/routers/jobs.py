"""Batch jobs: submit a sitting (JSON or a CSV/XLSX upload), follow it, fetch results and the report."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError

from ...auth.deps import Caller, GraderDep
from ...auth.roles import Role
from ...errors import InvalidJobInputError, JobStateError, TooManySubmissionsError
from ...jobs import (
    InputRow,
    check_callback_url,
    csv_bytes,
    export_header,
    export_row,
    file_kind,
    read_submissions,
    store,
    write_xlsx,
)
from ...jobs.files import check_unique_ids
from ...jobs.report import build_report, histogram_png
from ...plots import label as plot_label
from ...registry import RubricRegistry
from ...settings import MAX_JOB_SUBMISSIONS
from ...storage import Database, Job, utcnow
from ..deps import DatabaseDep, RegistryDep, SettingsDep
from ..errors import ERROR_RESPONSES, KEY_RESPONSES, error_response
from ..job_schemas import (
    JobCreateRequest,
    JobList,
    JobPurged,
    JobReport,
    JobResultItem,
    JobResults,
    JobStatus,
    WebhookState,
)
from ..schemas import ErrorBody, ErrorResponse

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=KEY_RESPONSES)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    404: {"model": ErrorResponse, "description": "Unknown job or rubric."},
    409: {"model": ErrorResponse, "description": "The job's status does not allow this."},
    410: {"model": ErrorResponse, "description": "The job's data was deleted (`job_purged`)."},
}
# Offsets past any real list are fine (an empty page), but they must fit a database integer.
_MAX_OFFSET = 2**31 - 1
_UPLOAD_FORM = {
    "type": "object",
    "required": ["rubric_id", "file"],
    "properties": {
        "rubric_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "file": {
            "type": "string",
            "format": "binary",
            "description": "CSV (UTF-8 or GB18030), XLSX, or JSON Lines (a name ending in .jsonl)",
        },
        "callback_url": {"type": "string", "maxLength": 2000},
    },
}


def add_request_schemas(spec: dict[str, Any]) -> dict[str, Any]:
    """Put JobCreateRequest in the spec's components: POST /v1/jobs reads its body by hand (JSON or
    multipart), so FastAPI does not add the schema its ``openapi_extra`` refers to."""
    schema = JobCreateRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(schema.pop("$defs", {}))
    schemas["JobCreateRequest"] = schema
    return spec


def _owner(caller: Caller) -> str | None:
    """Whose jobs the caller may see: its own key's (a job holds student answers and grades), or
    every job for an admin (None)."""
    assert caller.key is not None  # GraderDep
    return None if caller.key.role is Role.ADMIN else caller.key.key_id


def _job_status(job: Job) -> JobStatus:
    end = job.finished_at or (utcnow() if job.started_at else None)
    elapsed = (end - job.started_at).total_seconds() if job.started_at and end else None
    webhook = None
    if job.webhook_status:
        webhook = WebhookState.model_validate(
            {
                # "sending" is the store's own claim on a delivery; to callers it is still pending.
                "status": "pending" if job.webhook_status == "sending" else job.webhook_status,
                "attempts": job.webhook_attempts,
                "error": job.webhook_error,
            }
        )
    return JobStatus.model_validate(
        {
            "id": job.id,
            "rubric_id": job.rubric_id,
            "rubric_version": job.rubric_version,
            "status": job.status,
            "total": job.total,
            "done": job.done,
            "errors": job.errors,
            "progress": round(job.done / job.total, 4) if job.total else 1.0,
            "source": job.source,
            "filename": job.filename,
            "header_row": job.header_row,
            "columns": job.columns,
            "created_at": job.created_at,
            "started_at": job.started_at,
            "finished_at": job.finished_at,
            "elapsed_seconds": round(elapsed, 3) if elapsed is not None else None,
            "rate_per_second": round(job.done / elapsed, 1) if elapsed else None,
            "error": ErrorBody(code=job.error_code, message=job.error_message or "") if job.error_code else None,
            "callback_url": job.callback_url,
            "webhook": webhook,
        }
    )


@dataclass(frozen=True, slots=True)
class _JobInput:
    """What a job-creating request asks for, from a JSON body or an uploaded file."""

    rubric_id: str
    callback_url: str | None
    rows: list[InputRow]
    columns: list[str]
    source: str = "json"
    filename: str | None = None
    header_row: int | None = None  # the header's row in an uploaded CSV or XLSX


async def _parse_upload(request: Request) -> _JobInput:
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    rubric_id = form.get("rubric_id")
    callback = form.get("callback_url")
    problems = []
    if upload is None or isinstance(upload, str):
        problems.append("缺少上传文件(表单字段 file)")
    if not isinstance(rubric_id, str) or not rubric_id.strip():
        problems.append("缺少评分标准编号(表单字段 rubric_id)")
    for name, value in (("rubric_id", rubric_id), ("callback_url", callback)):
        if isinstance(value, str) and "\x00" in value:
            problems.append(f"表单字段 {name} 含有空字符(U+0000)")
    if problems:
        raise InvalidJobInputError(problems, code="invalid_request")
    assert upload is not None and not isinstance(upload, str) and isinstance(rubric_id, str)
    filename = upload.filename or "upload.csv"
    data = await upload.read()
    parsed = await run_in_threadpool(read_submissions, data, filename)
    source = file_kind(data, filename)
    callback_url = callback.strip() if isinstance(callback, str) and callback.strip() else None
    return _JobInput(rubric_id.strip(), callback_url, parsed.rows, parsed.columns, source, filename, parsed.header_row)


async def _parse_json(request: Request) -> _JobInput:
    try:
        body = JobCreateRequest.model_validate_json(await request.body())
    except ValidationError as error:
        errors = error.errors()
        over = next((e for e in errors if e["type"] == "too_long" and tuple(e["loc"]) == ("submissions",)), None)
        if over is not None:
            # The same limit, code and wording as an uploaded file (413 too_many_submissions).
            raise TooManySubmissionsError(int(over["ctx"]["actual_length"]), MAX_JOB_SUBMISSIONS) from None
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None
    check_unique_ids(s.id for s in body.submissions)
    columns: dict[str, None] = {}
    rows = []
    for s in body.submissions:
        extra = dict(s.model_extra or {})
        columns.update(dict.fromkeys(extra))
        rows.append(InputRow(s.id, s.answer, extra))
    return _JobInput(body.rubric_id, body.callback_url, rows, list(columns))


@router.post(
    "",
    status_code=202,
    response_model=JobStatus,
    responses={
        **_RESPONSES,
        422: {
            "model": ErrorResponse,
            "description": "Malformed request (`invalid_request`), unusable file (`invalid_file`), repeated "
            "submission ids (`duplicate_submission_ids`) or callback not allowed (`callback_not_allowed`).",
        },
        415: {"model": ErrorResponse, "description": "Neither JSON nor a multipart upload."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/JobCreateRequest"}},
                "multipart/form-data": {"schema": _UPLOAD_FORM},
            },
        }
    },
)
async def create_job(
    request: Request,
    registry: RegistryDep,
    settings: SettingsDep,
    db: DatabaseDep,
    caller: GraderDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> JSONResponse:
    """Queue a batch job: JSON submissions, or a CSV/XLSX/JSONL upload with fields id and answer.

    Answers 202 with the job; grading runs in the background. With an ``Idempotency-Key``
    header, a retried request (same API key, same content) returns the job the first one created.
    """
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        given = await _parse_upload(request)
    elif content_type.startswith("application/json"):
        given = await _parse_json(request)
    else:
        message = "请求须为 JSON,或以 multipart/form-data 上传 CSV/XLSX 文件。"
        return error_response(415, "unsupported_media_type", message)
    compiled = registry.get(given.rubric_id)
    if given.callback_url:
        check_callback_url(given.callback_url, settings)
    job, created = await run_in_threadpool(
        lambda: store.create_job(
            db,
            rubric_id=given.rubric_id,
            rubric_version=compiled.rubric.version,
            grading_fingerprint=compiled.fingerprint,
            rows=given.rows,
            columns=given.columns,
            source=given.source,
            filename=given.filename,
            header_row=given.header_row,
            callback_url=given.callback_url,
            idempotency_key=idempotency_key,
            # Keys are chosen by callers: one caller's "upload-1" is not another's.
            idempotency_owner=caller.key.key_id if caller.key else None,
            owner=caller.key.key_id if caller.key else None,
            chunk_size=settings.job_chunk_size,
        )
    )
    runner = getattr(request.app.state, "runner", None)
    if runner is not None:
        runner.wake()
    headers = {"location": f"/v1/jobs/{job.id}"}
    if not created:
        headers["idempotent-replayed"] = "true"
    return JSONResponse(_job_status(job).model_dump(mode="json"), status_code=202, headers=headers)


@router.get("", response_model=JobList)
def list_jobs(
    db: DatabaseDep,
    caller: GraderDep,
    status: Literal["queued", "running", "done", "failed", "cancelled"] | None = None,
    offset: Annotated[int, Query(ge=0, le=_MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JobList:
    """The jobs the key created (every job for an admin key), newest first."""
    jobs, total = store.list_jobs(db, limit=limit, offset=offset, status=status, owner=_owner(caller))
    return JobList(jobs=[_job_status(j) for j in jobs], total=total, offset=offset, limit=limit)


@router.get("/{job_id}", response_model=JobStatus, responses=_RESPONSES)
def get_job(job_id: str, db: DatabaseDep, caller: GraderDep) -> JobStatus:
    """Status, progress, timings and errors of one job."""
    return _job_status(store.get_job(db, job_id=job_id, owner=_owner(caller)))


@router.delete("/{job_id}", response_model=JobStatus, responses=_RESPONSES)
def cancel_job(job_id: str, db: DatabaseDep, caller: GraderDep) -> JobStatus:
    """Cancel a queued or running job; what was graded stays available."""
    return _job_status(store.cancel_job(db, job_id=job_id, owner=_owner(caller)))


@router.post("/{job_id}/purge", response_model=JobPurged, responses=_RESPONSES)
def purge_job(job_id: str, db: DatabaseDep, caller: GraderDep) -> JobPurged:
    """Delete a finished job's submissions, answers and results for good (the job's key, or an admin).

    A queued or running job is refused with 409 ``job_active``: cancel it first (``DELETE``). From then
    on the job's endpoints answer 410 ``job_purged``; it is no longer listed."""
    purged = store.purge_job(db, job_id=job_id, owner=_owner(caller))
    return JobPurged.model_validate(
        {
            "id": purged.id,
            "ended_as": purged.status,
            "finished_at": purged.finished_at,
            "purged_at": purged.purged_at,
            "submissions_deleted": purged.submissions,
        }
    )


def _concepts(db: Database, registry: RubricRegistry, job: Job) -> list[tuple[str, str]]:
    """The job's concepts (id, title) in rubric order, from a stored result, else from the rubric."""
    for row in store.iter_submissions(db, job_id=job.id, batch=200):
        if row.result is not None:
            return [(i["concept_id"], i["title"]) for i in row.result["items"]]
    if job.rubric_id in registry.ids():
        return [(c.id, c.title) for c in registry.get(job.rubric_id).rubric.concepts]
    return []


def _not_graded(status: str, job_status: str) -> str:
    if status == "pending":
        return {"cancelled": "未评分:作业已取消", "failed": "未评分:作业失败"}.get(job_status, "未评分")
    return ""


def _export_rows(db: Database, job: Job, concept_ids: list[str]) -> Iterator[Sequence[object]]:
    yield export_header(job.columns, concept_ids)
    for row in store.iter_submissions(db, job_id=job.id):
        error = f"{row.error_code}: {row.error_message}" if row.error_code else _not_graded(row.status, job.status)
        yield export_row(row.submission_id, row.extra, job.columns, concept_ids, row.result, error)


@router.get(
    "/{job_id}/results",
    response_model=JobResults,
    responses={
        **_RESPONSES,
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
            "description": "JSON page, or the whole job as CSV (UTF-8 with BOM) or XLSX.",
        },
    },
)
def job_results(
    job_id: str,
    db: DatabaseDep,
    registry: RegistryDep,
    caller: GraderDep,
    format: Literal["json", "csv", "xlsx"] = "json",
    offset: Annotated[int, Query(ge=0, le=_MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    """Results in submission order: a JSON page, or ``?format=csv|xlsx`` for the whole job."""
    job = store.get_job(db, job_id=job_id, owner=_owner(caller))
    if format == "json":
        rows = store.page_submissions(db, job_id=job_id, offset=offset, limit=limit)
        items = [
            JobResultItem.model_validate(
                {
                    "id": r.submission_id,
                    "status": r.status,
                    "extra": r.extra,
                    "result": r.result,
                    "error": {"code": r.error_code, "message": r.error_message or ""} if r.error_code else None,
                }
            )
            for r in rows
        ]
        next_offset = offset + limit if offset + limit < job.total else None
        page = {"job_id": job.id, "status": job.status, "total": job.total, "offset": offset, "limit": limit}
        return JobResults.model_validate({**page, "next_offset": next_offset, "items": items})
    if job.status in ("queued", "running"):
        raise JobStateError("job_not_finished", f"作业尚未完成({job.done}/{job.total}),完成后才能导出。")
    concept_ids = [c for c, _ in _concepts(db, registry, job)]
    name = f"yuejuan-{job.rubric_id}-{job.id[:8]}"
    if format == "csv":
        return StreamingResponse(
            csv_bytes(_export_rows(db, job, concept_ids)),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}.csv"'},
        )
    buffer = io.BytesIO()
    write_xlsx(_export_rows(db, job, concept_ids), buffer)
    return Response(
        buffer.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"content-disposition": f'attachment; filename="{name}.xlsx"'},
    )


@router.get(
    "/{job_id}/report",
    response_model=JobReport,
    responses={**_RESPONSES, 200: {"content": {"image/png": {}}, "description": "The report, or its histogram."}},
)
def job_report(
    job_id: str, db: DatabaseDep, registry: RegistryDep, caller: GraderDep, format: Literal["json", "png"] = "json"
) -> Any:
    """Score distribution, concept coverage, flags, answers to review and near-duplicate answers."""
    job = store.get_job(db, job_id=job_id, owner=_owner(caller))
    concepts = _concepts(db, registry, job)
    max_score = registry.get(job.rubric_id).rubric.max_score if job.rubric_id in registry.ids() else 0.0
    for row in store.iter_submissions(db, job_id=job.id, batch=200):
        if row.max_score is not None:
            max_score = row.max_score
            break
    body = build_report(rows=store.report_rows(db, job_id=job.id), max_score=max_score, concepts=concepts)
    if format == "png":
        stamp = job.finished_at or datetime.now()
        title = plot_label(
            f"{job.rubric_id} {job.rubric_version}:已评 {body['graded']} 份,{stamp:%Y-%m-%d}",
            f"{job.rubric_id} {job.rubric_version}: {body['graded']} graded, {stamp:%Y-%m-%d}",
        )
        return Response(histogram_png(body["scores"]["histogram"], title=title), media_type="image/png")
    report = {
        "job_id": job.id,
        "rubric_id": job.rubric_id,
        "rubric_version": job.rubric_version,
        "status": job.status,
        "complete": job.status == "done",
        "total": job.total,
        **body,
    }
    return JobReport.model_validate(report)
