"""The job store's migrations, on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.settings import Settings
from service.storage import Database

TABLES = ["alembic_version", "chunks", "jobs", "submissions"]


def test_default_sqlite_file_is_created_under_data_on_first_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("YUEJUAN_DATABASE_URL", raising=False)
    db = Database(Settings().database_url)
    db.upgrade()
    assert (tmp_path / "data" / "yuejuan.db").is_file()
    assert db.tables() == TABLES
    db.upgrade()  # start-up runs it every time: a second run changes nothing
    assert db.tables() == TABLES
    db.dispose()


def test_migrations_apply_on_postgresql(pg_schema: str) -> None:
    db = Database(pg_schema)
    assert db.dialect == "postgresql"
    db.upgrade()
    db.upgrade()
    assert db.tables() == TABLES
    db.dispose()


def test_a_plain_postgresql_url_uses_psycopg_3() -> None:
    assert Database("postgresql://u@127.0.0.1:1/x").url.drivername == "postgresql+psycopg"
