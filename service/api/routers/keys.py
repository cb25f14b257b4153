"""API keys, for administrators: list, create (the key is returned once), revoke."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from ...auth import ApiKey, Role, UnknownKeyError, create_key, list_keys, revoke_key
from ...auth.deps import AdminDep
from ..errors import ERROR_RESPONSES, KEY_RESPONSES
from ..schemas import ErrorResponse, Text

router = APIRouter(prefix="/v1/keys", tags=["keys"], responses=KEY_RESPONSES)


class KeyCreateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    name: Text = Field(default="", max_length=200, description="Who or what the key is for.")


class KeyInfo(BaseModel):
    key_id: str
    role: Role
    name: str
    created_at: datetime
    revoked_at: datetime | None


class KeyList(BaseModel):
    keys: list[KeyInfo]


class KeyCreated(KeyInfo):
    key: str = Field(description="The key itself: shown this once and never stored.")


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.key_engine
    return engine


def _info(key: ApiKey) -> KeyInfo:
    return KeyInfo(
        key_id=key.key_id, role=key.role, name=key.name, created_at=key.created_at, revoked_at=key.revoked_at
    )


@router.get("", response_model=KeyList)
def list_api_keys(request: Request, caller: AdminDep) -> KeyList:
    """Every key, revoked ones included; never the keys themselves."""
    return KeyList(keys=[_info(k) for k in list_keys(engine=_engine(request))])


@router.post("", response_model=KeyCreated, status_code=201, responses={422: ERROR_RESPONSES[422]})
def create_api_key(body: KeyCreateRequest, request: Request, caller: AdminDep) -> KeyCreated:
    """Create a key; the response is the only place the key ever appears."""
    record, key = create_key(engine=_engine(request), role=body.role, name=body.name)
    return KeyCreated(**_info(record).model_dump(), key=key)


_UNKNOWN_KEY = {"model": ErrorResponse, "description": "No active key with that key id (`unknown_key`)."}


@router.delete("/{key_id}", status_code=204, responses={404: _UNKNOWN_KEY})
def revoke_api_key(key_id: str, request: Request, caller: AdminDep) -> Response:
    """Revoke a key by its key id; it stops working at the next request."""
    if not revoke_key(engine=_engine(request), key_id=key_id):
        raise UnknownKeyError(key_id)
    return Response(status_code=204)
