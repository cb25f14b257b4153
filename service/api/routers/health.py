"""Liveness, readiness and metrics: what a load balancer and a monitoring system ask of each process."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ...storage import Database
from .. import metrics
from ..deps import RegistryDep
from ..errors import error_response
from ..probe import BoundedCall
from ..schemas import ErrorDetail, ErrorResponse, Health

router = APIRouter(tags=["health"])

# A database that does not answer must not hold the probe (or a threadpool thread per probe) for long.
_DATABASE_WAIT_SECONDS = 3.0
_probe: BoundedCall[None] = BoundedCall("yuejuan-readyz", _DATABASE_WAIT_SECONDS)


class Readiness(BaseModel):
    status: str = Field(description="`ready`.")
    checks: dict[str, str] = Field(description="What was checked, and what was found.")


def _ping(database: Database) -> None:
    with database.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


async def _database_problem(database: Database | None) -> str | None:
    if database is None:
        return "数据库尚未打开(服务正在启动)。"
    try:
        await _probe(lambda: _ping(database))
    except TimeoutError:
        return f"数据库在 {_DATABASE_WAIT_SECONDS:g} 秒内没有响应。"
    except SQLAlchemyError as error:
        return f"数据库无法连接({type(error).__name__})。"
    return None


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up (it may not be ready to serve: see /readyz)."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": ErrorResponse, "description": "Not ready: the database is unreachable or no rubrics."}},
)
async def readyz(request: Request, registry: RegistryDep) -> Any:
    """Ready to serve: the database answers and rubrics are loaded. A load balancer sends traffic only here."""
    problems: list[ErrorDetail] = []
    database_problem = await _database_problem(getattr(request.app.state, "database", None))
    if database_problem:
        problems.append(ErrorDetail(loc=["database"], message=database_problem))
    rubrics = len(registry.ids())
    if not rubrics:
        problems.append(ErrorDetail(loc=["rubrics"], message="没有加载任何评分标准。"))
    if problems:
        message = "服务尚未就绪:" + "".join(p.message for p in problems)
        return error_response(503, "not_ready", message, problems)
    return Readiness(status="ready", checks={"database": "ok", "rubrics": f"{rubrics} loaded"})


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus text."}},
)
async def prometheus_metrics(request: Request, registry: RegistryDep) -> Response:
    """Prometheus metrics of the server (all its processes): requests, latencies, grades, job queue."""
    body = await metrics.render(registry, getattr(request.app.state, "database", None))
    return Response(body, media_type=metrics.CONTENT_TYPE)
