"""Dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..registry import RubricRegistry
from ..settings import Settings
from ..storage import Database

__all__ = ["DatabaseDep", "RegistryDep", "SettingsDep"]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _registry(request: Request) -> RubricRegistry:
    registry: RubricRegistry = request.app.state.registry
    return registry


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


SettingsDep = Annotated[Settings, Depends(_settings)]
RegistryDep = Annotated[RubricRegistry, Depends(_registry)]
DatabaseDep = Annotated[Database, Depends(_database)]
