"""The key store against a real SQLite file: keys are shown once and kept only as digests."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from service.auth import Role, allows, authenticate, connect, create_key, hash_key, list_keys, revoke_key


def test_a_key_authenticates_until_revoked(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'keys.db'}")  # the file is created on first use
    record, key = create_key(engine=engine, role=Role.GRADER, name="教务处 LMS")
    assert key.startswith(f"yj_{record.key_id}_") and len(key) == 3 + 8 + 1 + 43
    found = authenticate(engine=engine, key=key)
    assert found is not None and found.key_id == record.key_id and found.role is Role.GRADER
    assert found.name == "教务处 LMS" and found.active
    assert authenticate(engine=engine, key=key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert revoke_key(engine=engine, key_id=record.key_id)
    assert not revoke_key(engine=engine, key_id=record.key_id)
    assert authenticate(engine=engine, key=key) is None
    assert [k.active for k in list_keys(engine=engine)] == [False]


def test_only_the_digest_is_stored(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'keys.db'}")
    _, key = create_key(engine=engine, role=Role.ADMIN)
    with engine.connect() as conn:
        rows = [tuple(map(str, row)) for row in conn.execute(text("select * from api_keys"))]
    assert not any(key in cell for row in rows for cell in row)
    assert any(hash_key(key) in row for row in rows)
    listed = list_keys(engine=engine)
    assert not any(key in repr(k) for k in listed)


@pytest.mark.parametrize(
    ("held", "needed", "ok"),
    [
        (Role.ADMIN, Role.GRADER, True),
        (Role.ADMIN, Role.STUDENT, True),
        (Role.GRADER, Role.GRADER, True),
        (Role.GRADER, Role.STUDENT, True),
        (Role.GRADER, Role.ADMIN, False),
        (Role.STUDENT, Role.GRADER, False),
        (Role.STUDENT, Role.STUDENT, True),
    ],
)
def test_roles(held: Role, needed: Role, ok: bool) -> None:
    assert allows(held, needed) is ok
