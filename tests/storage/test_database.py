"""The job store's migrations, on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.auth import Role, authenticate, connect, create_key
from service.auth.store import metadata as key_metadata
from service.settings import Settings
from service.storage import Database

TABLES = ["alembic_version", "api_keys", "chunks", "jobs", "submissions"]


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


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_key_table_made_before_migration_0002_is_kept(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # Before 0002 the key table was made by create_all, with or without the job tables beside it.
    url = f"sqlite:///{tmp_path / 'old.db'}" if backend == "sqlite" else request.getfixturevalue("pg_schema")
    db = Database(url)
    key_metadata.create_all(db.engine)
    _, key = create_key(engine=db.engine, role=Role.GRADER, name="旧密钥")
    db.dispose()
    engine = connect(url)  # opening the key store now migrates the whole database
    found = authenticate(engine=engine, key=key)
    assert found is not None and found.name == "旧密钥"
    engine.dispose()
    db = Database(url)
    assert db.tables() == TABLES
    db.dispose()
