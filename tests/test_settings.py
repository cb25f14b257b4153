"""Settings read from the environment, as an operator sets them."""

from __future__ import annotations

import pytest

from service.settings import Settings


def test_defaults_work_on_a_fresh_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "CHECK_REQUIRES_KEY", "CORS_ORIGINS", "RATE_LIMIT_CHECK", "RATE_LIMIT_GRADE"):
        monkeypatch.delenv(f"YUEJUAN_{name}", raising=False)
    settings = Settings()
    assert settings.database_url == "sqlite:///data/yuejuan.db"
    assert settings.check_requires_key is False and settings.cors_origins == []
    assert settings.rate_limit_check > 0 and settings.rate_limit_grade > 0


def test_access_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUEJUAN_CORS_ORIGINS", "https://lms.example.edu, https://moodle.example.edu")
    monkeypatch.setenv("YUEJUAN_CHECK_REQUIRES_KEY", "true")
    monkeypatch.setenv("YUEJUAN_RATE_LIMIT_CHECK", "0")
    settings = Settings()
    assert settings.cors_origins == ["https://lms.example.edu", "https://moodle.example.edu"]
    assert settings.check_requires_key is True and settings.rate_limit_check == 0
