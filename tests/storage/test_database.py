"""The job store's migrations, on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from service.auth import Role, authenticate, connect, create_key
from service.auth.store import metadata as key_metadata
from service.errors import ConfigurationError
from service.settings import Settings
from service.storage import Database, SubmissionRow, new_sqlite_file
from service.validation import chinese_message

TABLES = ["alembic_version", "api_keys", "chunks", "jobs", "server_secrets", "submissions"]


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


def test_a_sqlite_file_in_a_missing_folder_is_refused_not_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A mistyped folder used to be made, however deep, and a new empty database opened in it: the
    server then knew none of the keys and jobs of the real one. Only the default's ./data is made."""
    monkeypatch.chdir(tmp_path)
    for url, parent in [
        (f"sqlite:///{tmp_path / 'exam-day' / 'yuejuan.db'}", tmp_path / "exam-day"),
        ("sqlite:///dta/yuejuan.db", tmp_path / "dta"),
    ]:
        with pytest.raises(ConfigurationError) as refused:
            Database(url)
        assert refused.value.code == "database_folder_missing"
        assert f"所在的文件夹 {parent} 不存在" in str(refused.value) and "YUEJUAN_DATABASE_URL" in str(refused.value)
        assert not parent.exists()
    (tmp_path / "plain-file").write_text("", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="是文件,不是文件夹"):
        Database(f"sqlite:///{tmp_path / 'plain-file' / 'yuejuan.db'}")


def test_a_new_sqlite_file_in_an_existing_folder_is_made_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'first-run.db'}"
    assert new_sqlite_file(url) == tmp_path / "first-run.db"
    with caplog.at_level(logging.WARNING, logger="yuejuan.storage"):
        db = Database(url)
        db.upgrade()
    assert db.tables() == TABLES and db.location == str(tmp_path / "first-run.db")
    assert [r.getMessage() for r in caplog.records] == [
        f"no database file at {tmp_path / 'first-run.db'}: a new, empty database is created there"
    ]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="yuejuan.storage"):
        Database(url).dispose()  # there is one now: nothing to say
    assert caplog.records == [] and new_sqlite_file(url) is None
    db.dispose()


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("sqlte:///data/yuejuan.db", "不认识数据库类型 'sqlte'"),
        ("postgres://yuejuan@db.internal/yuejuan", "PostgreSQL 须写作 postgresql://"),
        ("sqlite//data/yuejuan.db", "不是数据库地址"),
    ],
)
def test_a_mistyped_database_url_is_a_bad_setting(url: str, said: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUEJUAN_DATABASE_URL", url)
    with pytest.raises(ValidationError) as refused:
        Settings()
    [problem] = refused.value.errors()
    assert problem["loc"] == ("database_url",) and said in chinese_message(problem)


def test_a_database_error_does_not_carry_the_answers_it_was_storing(tmp_path: Path) -> None:
    """Its text is logged (the job runner, the API's last-resort handler): SQLAlchemy put the statement's
    values in it, so a failed insert or commit wrote students' answers and results into the logs."""
    db = Database(f"sqlite:///{tmp_path / 'jobs.db'}")
    db.upgrade()
    answer = "学生乙的作答:上级给下级安排任务,上级就是下级的客户。"
    with pytest.raises(IntegrityError) as failed, db.session() as s:
        s.add(SubmissionRow(job_id="no-such-job", seq=0, submission_id="S1", answer=answer, extra={}))
    assert "FOREIGN KEY" in str(failed.value) and answer not in str(failed.value)
    db.dispose()
