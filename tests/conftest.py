"""Shared fixtures: the real rubrics, compiled once, and a real server when a test needs one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.registry import RubricRegistry
from service.scoring import CompiledRubric

ROOT = Path(__file__).resolve().parent.parent
RUBRICS = ROOT / "rubrics"
TEST_RUBRICS = Path(__file__).resolve().parent / "data" / "rubrics"


@pytest.fixture(scope="session")
def registry() -> RubricRegistry:
    return RubricRegistry.from_dir(RUBRICS)


@pytest.fixture(scope="session")
def ic(registry: RubricRegistry) -> CompiledRubric:
    """The internal-customer rubric, compiled."""
    return registry.get("internal-customer")


@pytest.fixture(scope="session")
def waste() -> CompiledRubric:
    """A second rubric on another topic, from the test data."""
    return RubricRegistry.from_dir(TEST_RUBRICS).get("waste-sorting")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `yuejuan serve` process on a free port; yields its base URL."""
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {
        **os.environ,
        "YUEJUAN_RUBRICS_DIR": str(RUBRICS),
        "YUEJUAN_MAX_BODY_BYTES": str(2 * 1024 * 1024),
        "YUEJUAN_DATABASE_URL": f"sqlite:///{log.parent / 'jobs.db'}",
        "YUEJUAN_RUN_JOBS": "false",
    }
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start in 60 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


PG_URL = os.environ.get("YUEJUAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def postgres() -> str:
    """The test PostgreSQL server's URL; skips when unreachable, fails instead under CI."""
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_URL)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        message = (
            f"PostgreSQL unreachable at {PG_URL} ({type(error).__name__}); start it or set YUEJUAN_TEST_POSTGRES_URL"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    finally:
        engine.dispose()
    return PG_URL


@pytest.fixture
def pg_schema(postgres: str) -> Iterator[str]:
    """A fresh, empty schema on the test PostgreSQL server; yields a URL that uses it."""
    from sqlalchemy import create_engine, text

    name = f"yj_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {name}"))
    try:
        yield f"{postgres}?options=-csearch_path%3D{name}"
    finally:
        with engine.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {name} CASCADE"))
        engine.dispose()
