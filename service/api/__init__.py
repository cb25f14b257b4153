"""HTTP API: a thin shell around :mod:`service.scoring`."""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
