"""Engine, sessions and start-up migrations of the job store."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import ConfigurationError
from ..settings import DEFAULT_DATABASE_URL

__all__ = ["DATABASE_UNAVAILABLE", "MIGRATIONS_DIR", "Database", "new_sqlite_file"]

log = logging.getLogger("yuejuan.storage")

# The database did not answer (down, unreachable, locked too long): nothing is wrong with the request
# or the data, and the same statement may succeed when tried again.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Seconds opening a PostgreSQL connection may take (Settings.database_connect_timeout_seconds).
DEFAULT_CONNECT_TIMEOUT = 10
# TCP keepalives on PostgreSQL connections: an idle connection to a host that went away is noticed
# after about a minute (30 s idle, then 3 probes 10 s apart) instead of when the kernel gives up (hours).
_PG_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}
_PG_MIGRATION_LOCK = 0x7975656A  # "yuej": one process migrates at a time


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL; None for an in-memory database or another backend."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.database.startswith("file:") or url.query.get("uri") == "true":
        return None  # a SQLite URI: opened as it says, with its own mode
    return Path(url.database)


def new_sqlite_file(url: str) -> Path | None:
    """The SQLite file ``url`` names when there is none yet (opening it makes a new, empty database)."""
    path = _sqlite_path(make_url(url))
    return path.resolve() if path is not None and not path.exists() else None


def _check_sqlite_folder(url: URL, path: Path) -> None:
    """The default database's folder is made on first start; any other must exist already. A missing
    folder is a mistyped path far more often than a wish, and a new database made there would hold
    none of the keys and jobs of the real one."""
    if path.parent.is_dir():
        return
    if url.render_as_string(hide_password=False) == DEFAULT_DATABASE_URL:
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    state = "是文件,不是文件夹" if path.parent.exists() else "不存在"
    message = (
        f"数据库文件 {path.absolute()} 所在的文件夹 {path.parent.absolute()} {state}:请检查 YUEJUAN_DATABASE_URL 的路径"
        "(SQLite 地址中,sqlite:/// 后为相对路径,sqlite://// 后为绝对路径),或先建好该文件夹。"
    )
    raise ConfigurationError("database_folder_missing", message)


class Database:
    """One database: its engine and a session factory. ``url`` is any SQLAlchemy URL; ``connect_timeout``
    (seconds) bounds opening a PostgreSQL connection, unless the URL sets ``connect_timeout`` itself."""

    def __init__(self, url: str, *, connect_timeout: int = DEFAULT_CONNECT_TIMEOUT) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not psycopg2
        self.url = parsed
        # A server's connections go stale when it restarts; a SQLite file's cannot, so they skip the ping
        # (a round trip on every checkout, and every authenticated request checks one out).
        kwargs: dict[str, Any] = {
            "pool_pre_ping": parsed.get_backend_name() != "sqlite",
            # A database error's text would carry the statement's values (answers, results) into every log.
            "hide_parameters": True,
        }
        if parsed.get_backend_name() == "sqlite":
            path = _sqlite_path(parsed)
            if path is not None:
                _check_sqlite_folder(parsed, path)
                if not path.exists():
                    # Normal on a first start; a mistyped file name in an existing folder looks the same.
                    log.warning("no database file at %s: a new, empty database is created there", path.resolve())
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        elif parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("psycopg", "psycopg2"):
            # libpq options; the URL's own (?connect_timeout=…) win.
            options = {"connect_timeout": connect_timeout, **_PG_KEEPALIVES}
            kwargs["connect_args"] = {k: v for k, v in options.items() if k not in parsed.query}
        self.engine: Engine = create_engine(parsed, **kwargs)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def location(self) -> str:
        """Where the database is, for a log line: a SQLite file's absolute path, else the URL without its password."""
        path = _sqlite_path(self.url)
        return str(path.resolve()) if path is not None else self.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def upgrade(self) -> None:
        """Apply every pending migration (run at start-up; safe to run again)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self.engine.begin() as connection:
            if self.dialect == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def tables(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self.sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
