"""The OpenAPI document of the app, rendered as YAML."""

from __future__ import annotations

import yaml

from ..auth import connect
from ..registry import RubricRegistry
from .app import create_app

__all__ = ["render_openapi"]


def render_openapi() -> str:
    """The app's OpenAPI spec as stable YAML (no rubrics are needed to describe the API)."""
    app = create_app(registry=RubricRegistry({}), key_engine=connect("sqlite://"))
    return yaml.safe_dump(app.openapi(), allow_unicode=True, sort_keys=False, width=120)
