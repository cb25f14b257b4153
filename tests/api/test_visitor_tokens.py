"""Anonymous visitors behind one address (a school lab's NAT), each limited on its own, on a real server.

The server allows 3 checks a minute per visitor token (and per address without one), 30 a minute from
one address for all its visitors together, and 20 new tokens a minute per address. Every test but the
lab's comes from an address of its own (uvicorn takes ``X-Forwarded-For`` from 127.0.0.1, as from a
reverse proxy), so that no test spends another's buckets.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import run_server
from service.auth import issue_visitor_token

SECRET = "lab-deployment-secret-0123456789abcdef"
PER_VISITOR = 3
ADDRESS_CAP = 30
TOKENS_PER_ADDRESS = 20
DRAFTS = [
    "上级给下级安排任务,上级就是下级的客户。",
    "下一道工序就是上一道工序的客户,部门之间互为客户。",
    "服务是义务,要求服务是权利,内部客户关系是相互的。",
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("visitors")
    env = {
        "YUEJUAN_DATABASE_URL": f"sqlite:///{workdir / 'keys.db'}",
        "YUEJUAN_RATE_LIMIT_CHECK": str(PER_VISITOR),
        "YUEJUAN_RATE_LIMIT_CHECK_ADDRESS": str(ADDRESS_CAP),
        "YUEJUAN_RATE_LIMIT_VISITOR_TOKENS": str(TOKENS_PER_ADDRESS),
        "YUEJUAN_VISITOR_SECRET": SECRET,
        "YUEJUAN_RUN_JOBS": "false",
    }
    with run_server(workdir, env) as url:
        yield url


def _from(address: str | None) -> dict[str, str]:
    return {"X-Forwarded-For": address} if address else {}


def _token(url: str, address: str | None = None) -> str:
    response = httpx.post(f"{url}/v1/check/visitor-token", headers=_from(address))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["expires_in"] == 12 * 3600
    token: str = body["token"]
    return token


def _check(url: str, token: str | None, address: str | None = None, draft: str = DRAFTS[0]) -> httpx.Response:
    headers = {**_from(address), **({"X-Visitor-Token": token} if token is not None else {})}
    return httpx.post(f"{url}/v1/check", json={"rubric_id": "internal-customer", "answer": draft}, headers=headers)


def _assert_429(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"
    assert "秒后重试" in response.json()["error"]["message"]
    assert int(response.headers["retry-after"]) >= 1


def test_a_lab_behind_one_address_gets_every_draft_checked(lab: str) -> None:
    """Eight students at 127.0.0.1, each checking three drafts: 24 checks from one address, where the
    per-address limit of 3 used to refuse all but the first three."""
    tokens = [_token(lab) for _ in range(8)]
    assert len(set(tokens)) == 8
    for draft in DRAFTS:
        for token in tokens:
            response = _check(lab, token, draft=draft)
            assert response.status_code == 200, response.text
            result = response.json()
            assert result["items"] and result["met"] >= 1


def test_one_visitor_over_its_limit_is_refused_and_only_that_one(lab: str) -> None:
    address = "198.51.100.7"
    eager, other = _token(lab, address), _token(lab, address)
    assert [_check(lab, eager, address).status_code for _ in range(PER_VISITOR)] == [200] * PER_VISITOR
    _assert_429(_check(lab, eager, address))
    _assert_429(_check(lab, eager, address))  # refused again: still its own bucket that says no
    assert _check(lab, other, address).status_code == 200


def test_the_address_cap_stops_a_client_minting_tokens(lab: str) -> None:
    """A client that takes a new token whenever its last one is spent is stopped by the address's cap:
    a fresh token, never used, is refused once the address has had its checks."""
    address = "203.0.113.9"
    checked = minted = 0
    refused: httpx.Response | None = None
    while refused is None and minted < TOKENS_PER_ADDRESS:
        token, minted = _token(lab, address), minted + 1
        for used in range(PER_VISITOR):
            response = _check(lab, token, address)
            if response.status_code != 200:
                # The cap may run out in the middle of a token's checks; only a fresh token refused ends it.
                _assert_429(response)
                refused = response if used == 0 else None
                break
            checked += 1
    assert refused is not None, f"{checked} checks with {minted} tokens and no fresh token refused"
    _assert_429(refused)
    assert ADDRESS_CAP <= checked < minted * PER_VISITOR
    # Another address is not held up by this one.
    assert _check(lab, _token(lab, "203.0.113.10"), "203.0.113.10").status_code == 200


def test_tokens_are_issued_only_so_fast_per_address(lab: str) -> None:
    # A burst up to the limit, then refusals. The bucket earns a token back every 60 / TOKENS_PER_ADDRESS
    # seconds, so on a slow or busy host the burst itself may last long enough to earn one or two more.
    address = "192.0.2.44"
    started = time.monotonic()
    responses: list[httpx.Response] = []
    with httpx.Client(headers=_from(address)) as client:
        while len(responses) < 2 * TOKENS_PER_ADDRESS and (not responses or responses[-1].status_code == 200):
            responses.append(client.post(f"{lab}/v1/check/visitor-token"))
    earned = math.ceil((time.monotonic() - started) * TOKENS_PER_ADDRESS / 60)
    issued = [r.status_code for r in responses[:-1]]
    assert issued == [200] * len(issued) and TOKENS_PER_ADDRESS <= len(issued) <= TOKENS_PER_ADDRESS + earned
    _assert_429(responses[-1])
    assert httpx.post(f"{lab}/v1/check/visitor-token", headers=_from("192.0.2.45")).status_code == 200


def test_a_forged_or_expired_token_is_refused_in_words(lab: str) -> None:
    address = "198.51.100.50"
    good = _token(lab, address)
    version, visitor, issued, signature = good.split(".")
    other_id = ("A" if visitor[0] != "A" else "B") + visitor[1:]
    forged = [
        "nonsense",
        "",
        f"{version}.{visitor}.{issued}.{signature[:-2]}xx",  # signature altered
        f"{version}.{other_id}.{issued}.{signature}",  # another visitor's id under this signature
        f"{version}.{visitor}.{int(issued) + 1}.{signature}",  # issue time moved
        issue_visitor_token("another-deployment-secret-0123456789abcdef"),
        issue_visitor_token(SECRET, now=time.time() - 13 * 3600),  # expired: tokens last 12 hours
        "v1." + "x" * 500,
    ]
    for token in forged:
        response = _check(lab, token, address)
        assert response.status_code == 401, (token, response.text)
        body = response.json()
        assert body["error"]["code"] == "invalid_visitor_token"
        assert body["error"]["message"] == "访客凭证无效或已过期,请刷新页面后重试。"
    # Nothing of the address's or the visitor's allowance went to the refusals.
    assert [_check(lab, good, address).status_code for _ in range(PER_VISITOR)] == [200] * PER_VISITOR


def test_clients_without_a_token_keep_the_per_address_limit(lab: str) -> None:
    address = "198.51.100.99"
    assert [_check(lab, None, address).status_code for _ in range(PER_VISITOR)] == [200] * PER_VISITOR
    _assert_429(_check(lab, None, address))
    # A visitor with a token from the same address is counted apart.
    assert _check(lab, _token(lab, address), address).status_code == 200


def test_the_stored_secret_is_shared_by_servers_and_kept_across_restarts(tmp_path: Path) -> None:
    """Without YUEJUAN_VISITOR_SECRET the secret is made once and kept in the database: a token from one
    server process is good at another sharing the database, started later (as one is after a restart)."""
    env = {"YUEJUAN_DATABASE_URL": f"sqlite:///{tmp_path / 'shared.db'}", "YUEJUAN_RUN_JOBS": "false"}
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    with run_server(tmp_path / "first", env) as first:
        token = _token(first)
        assert _check(first, token).status_code == 200
        with run_server(tmp_path / "second", env) as second:
            assert _check(second, token).status_code == 200
            assert _check(second, _token(second)).status_code == 200
            assert _check(second, issue_visitor_token(SECRET)).status_code == 401
