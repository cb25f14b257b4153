"""Dependencies shared by the routers.

They are ``async def`` because they only read app state: FastAPI runs a plain ``def`` dependency
in a worker thread, a hand-off per dependency per request that costs more than the work.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..registry import RubricRegistry
from ..settings import Settings
from ..storage import Database

__all__ = ["DatabaseDep", "RegistryDep", "SettingsDep"]


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _registry(request: Request) -> RubricRegistry:
    registry: RubricRegistry = request.app.state.registry
    return registry


async def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


SettingsDep = Annotated[Settings, Depends(_settings)]
RegistryDep = Annotated[RubricRegistry, Depends(_registry)]
DatabaseDep = Annotated[Database, Depends(_database)]
