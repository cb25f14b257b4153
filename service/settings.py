"""Service settings, read once from the environment (prefix ``YUEJUAN_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["MAX_BATCH_SUBMISSIONS", "Settings", "default_rubrics_dir"]

# Upper bound on one synchronous batch request; larger sittings go through batch jobs.
MAX_BATCH_SUBMISSIONS = 1000


def default_rubrics_dir() -> Path:
    """``rubrics/`` beside the package in a source checkout, else ``./rubrics``."""
    beside = Path(__file__).resolve().parent.parent / "rubrics"
    return beside if beside.is_dir() else Path("rubrics")


class Settings(BaseSettings):
    """Every knob of the service, with embedded defaults that work on a fresh machine."""

    model_config = SettingsConfigDict(env_prefix="YUEJUAN_", extra="ignore")

    rubrics_dir: Path = Field(default_factory=default_rubrics_dir)
    host: str = "127.0.0.1"
    port: int = 8000
    max_answer_chars: int = Field(default=20_000, ge=1)
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    log_level: str = "info"
