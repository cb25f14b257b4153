"""Service settings, read once from the environment (prefix ``YUEJUAN_``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["DEFAULT_DATABASE_URL", "MAX_BATCH_SUBMISSIONS", "MAX_JOB_SUBMISSIONS", "Settings", "default_rubrics_dir"]

# Upper bound on one synchronous batch request; larger sittings go through batch jobs.
MAX_BATCH_SUBMISSIONS = 1000
# Upper bound on one batch job (a whole exam sitting).
MAX_JOB_SUBMISSIONS = 100_000
# A SQLite file under ./data, made with its folder on first start: the service works on a fresh machine.
DEFAULT_DATABASE_URL = "sqlite:///data/yuejuan.db"
_URL_EXAMPLES = "应形如 sqlite:///data/yuejuan.db 或 postgresql://用户名@主机/yuejuan"


def default_rubrics_dir() -> Path:
    """``rubrics/`` beside the package in a source checkout, else ``./rubrics``."""
    beside = Path(__file__).resolve().parent.parent / "rubrics"
    return beside if beside.is_dir() else Path("rubrics")


class Settings(BaseSettings):
    """Every knob of the service, with embedded defaults that work on a fresh machine."""

    model_config = SettingsConfigDict(env_prefix="YUEJUAN_", extra="ignore")

    rubrics_dir: Path = Field(default_factory=default_rubrics_dir)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_answer_chars: int = Field(default=20_000, ge=1)
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    # Uvicorn's levels; a name logging does not know used to end the server's start in a traceback.
    log_level: Literal["critical", "error", "warning", "info", "debug", "trace"] = "info"
    # JSON lines for log collectors, or plain text for a person at a terminal.
    log_format: Literal["json", "text"] = "json"
    access_log: bool = Field(default=True, description="One log line per request, with its id, route and duration.")
    # Server processes of `yuejuan serve` (one per core for grading over HTTP); --workers overrides.
    http_workers: int = Field(default=1, ge=1)
    # On SIGTERM, requests in flight get this long to finish before the server stops anyway.
    shutdown_timeout_seconds: int = Field(default=30, ge=1)
    # Where API keys, jobs and results are kept (any SQLAlchemy URL); the default SQLite file is created on first use.
    database_url: str = DEFAULT_DATABASE_URL
    # PostgreSQL: how long opening a connection may take. libpq waits forever by default, so a database
    # host that drops packets (or accepts and never answers) held every request that needed it.
    database_connect_timeout_seconds: int = Field(default=10, ge=1, le=3600)
    # The self-check page and POST /v1/check are open to anonymous students unless this is set.
    check_requires_key: bool = False
    # Requests per minute per key, or per client address for anonymous callers; 0 turns a limit off.
    rate_limit_check: int = Field(default=30, ge=0)
    rate_limit_grade: int = Field(default=600, ge=0)
    # Self-checks per minute from one address by all visitors with a token together (a lab of ~50
    # students behind one NAT address, each checking every 5 s on average); 0 turns the cap off.
    rate_limit_check_address: int = Field(default=600, ge=0)
    # Visitor tokens issued per minute per client address (a lab of ~50 opening the page at once, twice).
    rate_limit_visitor_tokens: int = Field(default=120, ge=0)
    # Signs visitor tokens; shared by every process of a deployment. Empty: made once and kept in the database.
    visitor_secret: str = Field(default="", repr=False)
    # How long a visitor token is good for; the page then asks for a new one.
    visitor_token_hours: int = Field(default=12, ge=1, le=24 * 30)
    # Origins of LMS front ends allowed to call the API from a browser, comma-separated.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        """A URL SQLAlchemy can read, naming a database it knows: refused here, in words, rather than
        with SQLAlchemy's English ("Can't load plugin: sqlalchemy.dialects:sqlte") at the first query."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError

        try:
            url = make_url(value.strip())
        except ArgumentError:
            raise ValueError(f"不是数据库地址:{_URL_EXAMPLES}。") from None
        try:
            url.get_dialect()
        except NoSuchModuleError:
            name = url.get_backend_name()
            hint = "(PostgreSQL 须写作 postgresql://)" if name == "postgres" else ""
            raise ValueError(f"不认识数据库类型 {url.drivername!r}{hint}:{_URL_EXAMPLES}。") from None
        return value.strip()

    @field_validator("visitor_secret")
    @classmethod
    def _long_secret(cls, value: str) -> str:
        """A short secret can be guessed from one token by trying every value: ask for a long one."""
        value = value.strip()
        if value and len(value) < 32:
            raise ValueError("访客凭证密钥太短:至少 32 个字符(可用 openssl rand -hex 32 生成),或留空由服务自动生成。")
        return value

    @field_validator("broker_url")
    @classmethod
    def _broker_with_transport(cls, value: str) -> str:
        """A broker URL names its transport (redis://…): without one Celery takes the whole value for a
        host name of a RabbitMQ it then looks for, again and again, forever."""
        value = value.strip()
        if not value:
            return value
        from kombu.transport import TRANSPORT_ALIASES

        scheme = value.split("://", 1)[0].split("+", 1)[0].lower() if "://" in value else ""
        if scheme not in TRANSPORT_ALIASES:
            raise ValueError("不是消息队列地址:应形如 redis://主机:6379/0(带密码:redis://:密码@主机:6379/0)。")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_level(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    # Batch jobs.
    max_job_body_bytes: int = Field(default=256 * 1024 * 1024, ge=1024)
    job_workers: int = Field(default=0, ge=0, description="Grading processes; 0 means one per core.")
    job_chunk_size: int = Field(default=200, ge=1, le=10_000)
    job_lease_seconds: float = Field(default=600.0, gt=0)
    run_jobs: bool = Field(default=True, description="Embedded mode: run the job runner inside `yuejuan serve`.")
    # Jobs that ended (done, failed, cancelled) this many days ago lose their submissions, answers and
    # results (service.jobs.retention); 0 keeps them until someone purges them.
    job_retention_days: int = Field(default=0, ge=0, le=36_500)
    # Distributed mode: with a broker (e.g. redis://host:6379/0) the API sends each chunk of a job
    # to this queue and `yuejuan worker` processes, on any machine, grade them. Empty: embedded mode.
    broker_url: str = ""
    job_queue: str = Field(default="yuejuan-jobs", min_length=1, max_length=200)
    # A worker renews its chunk's lease while grading; a worker that dies is noticed this long after.
    worker_lease_seconds: float = Field(default=60.0, gt=0)
    # How often chunks that need a broker message (never sent, freed by a dead worker, lost) are looked for.
    sweep_seconds: float = Field(default=10.0, gt=0)
    # Redis transport: a message not acknowledged this long after delivery is delivered again.
    broker_visibility_timeout: float = Field(default=3600.0, gt=0)
    # Webhooks.
    webhook_secret: str = ""
    webhook_allowed_hosts: str = Field(default="", description="Comma-separated host names; `*.example.com` allowed.")
    webhook_attempts: int = Field(default=6, ge=1)
    webhook_backoff_seconds: float = Field(default=2.0, ge=0)

    def workers(self) -> int:
        """How many grading processes a runner starts."""
        if self.job_workers:
            return self.job_workers
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return max(1, cores)

    @property
    def distributed(self) -> bool:
        """True when jobs are graded by `yuejuan worker` processes through the broker."""
        return bool(self.broker_url.strip())

    def allowed_webhook_hosts(self) -> list[str]:
        return [h.strip().lower() for h in self.webhook_allowed_hosts.split(",") if h.strip()]
