"""Settings read from the environment, as an operator sets them."""

from __future__ import annotations

import pytest

from service.settings import Settings


def test_defaults_work_on_a_fresh_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    names = (
        "DATABASE_URL",
        "BROKER_URL",
        "CHECK_REQUIRES_KEY",
        "CORS_ORIGINS",
        "RATE_LIMIT_CHECK",
        "RATE_LIMIT_GRADE",
        "RATE_LIMIT_CHECK_ADDRESS",
        "VISITOR_SECRET",
    )
    for name in names:
        monkeypatch.delenv(f"YUEJUAN_{name}", raising=False)
    settings = Settings()
    assert settings.database_url == "sqlite:///data/yuejuan.db"
    assert settings.broker_url == "" and not settings.distributed  # embedded: no broker, jobs graded in-process
    assert settings.check_requires_key is False and settings.cors_origins == []
    assert settings.rate_limit_check > 0 and settings.rate_limit_grade > 0
    # A lab of ~50 students behind one address: far more checks from it than from one visitor.
    assert settings.rate_limit_check_address >= 10 * settings.rate_limit_check
    assert settings.visitor_secret == ""  # made once and kept in the database


def test_access_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUEJUAN_CORS_ORIGINS", "https://lms.example.edu, https://moodle.example.edu")
    monkeypatch.setenv("YUEJUAN_CHECK_REQUIRES_KEY", "true")
    monkeypatch.setenv("YUEJUAN_RATE_LIMIT_CHECK", "0")
    settings = Settings()
    assert settings.cors_origins == ["https://lms.example.edu", "https://moodle.example.edu"]
    assert settings.check_requires_key is True and settings.rate_limit_check == 0


def test_a_broker_url_turns_on_distributed_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUEJUAN_BROKER_URL", "redis://queue.internal:6379/0")
    monkeypatch.setenv("YUEJUAN_JOB_QUEUE", "sitting-2026")
    settings = Settings()
    assert settings.distributed and settings.job_queue == "sitting-2026"
    assert settings.worker_lease_seconds > 0 and settings.sweep_seconds > 0
