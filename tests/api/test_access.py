"""API keys and roles, through the real server and real keys made with `yuejuan keys`."""

from __future__ import annotations

import httpx

from conftest import LMS_ORIGIN, create_key, yuejuan

GRADE = {"rubric_id": "internal-customer", "answer": "上级给下级安排任务,上级就是下级的客户。"}


def _error(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"]
    code: str = body["error"]["code"]
    return code


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_missing_and_malformed_keys_are_401(server: str) -> None:
    missing = httpx.post(f"{server}/v1/grade", json=GRADE)
    assert missing.status_code == 401 and _error(missing) == "missing_key"
    assert missing.headers["www-authenticate"] == "Bearer"
    for header in ["Bearer yj_00000000_" + "A" * 43, "Bearer nonsense", "Basic dXNlcjpwYXNz"]:
        bad = httpx.post(f"{server}/v1/grade", json=GRADE, headers={"Authorization": header})
        assert bad.status_code == 401 and _error(bad) == "invalid_key"


def test_roles_decide_who_may_grade(server: str, database_url: str) -> None:
    student = create_key(database_url, "student")
    refused = httpx.post(f"{server}/v1/grade", json=GRADE, headers=_bearer(student))
    assert refused.status_code == 403 and _error(refused) == "forbidden"
    for role in ("grader", "admin"):
        response = httpx.post(f"{server}/v1/grade", json=GRADE, headers=_bearer(create_key(database_url, role)))
        assert response.status_code == 200 and response.json()["score"] > 0
    # A student key is good for the self-check.
    assert httpx.post(f"{server}/v1/check", json=GRADE, headers=_bearer(student)).status_code == 200


def test_a_revoked_key_stops_working_at_once(server: str, database_url: str) -> None:
    key = create_key(database_url, "grader", name="LMS to retire")
    assert httpx.post(f"{server}/v1/grade", json=GRADE, headers=_bearer(key)).status_code == 200
    key_id = key.split("_")[1]
    run = yuejuan("keys", "revoke", key_id, env={"YUEJUAN_DATABASE_URL": database_url})
    assert run.returncode == 0, run.stderr
    response = httpx.post(f"{server}/v1/grade", json=GRADE, headers=_bearer(key))
    assert response.status_code == 401 and _error(response) == "invalid_key"


def test_check_and_page_are_open_but_a_bad_key_is_still_refused(server: str) -> None:
    assert httpx.post(f"{server}/v1/check", json=GRADE).status_code == 200
    page = httpx.get(f"{server}/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    bad = httpx.post(f"{server}/v1/check", json=GRADE, headers={"Authorization": "Bearer wrong"})
    assert bad.status_code == 401 and _error(bad) == "invalid_key"


def test_rubric_listing_stays_open_but_details_need_a_grader(server: str, database_url: str) -> None:
    assert httpx.get(f"{server}/v1/rubrics").status_code == 200
    # Concept titles can name the phrases students should find themselves.
    assert httpx.get(f"{server}/v1/rubrics/internal-customer").status_code == 401
    student = _bearer(create_key(database_url, "student"))
    assert httpx.get(f"{server}/v1/rubrics/internal-customer", headers=student).status_code == 403


def test_admins_manage_keys_over_http(server: str, database_url: str) -> None:
    admin = _bearer(create_key(database_url, "admin", name="IT"))
    created = httpx.post(f"{server}/v1/keys", json={"role": "grader", "name": "阅卷组"}, headers=admin)
    assert created.status_code == 201
    new = created.json()
    assert new["role"] == "grader" and new["name"] == "阅卷组" and new["key"].startswith("yj_" + new["key_id"])
    assert httpx.post(f"{server}/v1/grade", json=GRADE, headers=_bearer(new["key"])).status_code == 200
    listing = httpx.get(f"{server}/v1/keys", headers=admin)
    assert listing.status_code == 200 and new["key_id"] in listing.text and new["key"] not in listing.text
    assert httpx.delete(f"{server}/v1/keys/{new['key_id']}", headers=admin).status_code == 204
    assert httpx.post(f"{server}/v1/grade", json=GRADE, headers=_bearer(new["key"])).status_code == 401
    again = httpx.delete(f"{server}/v1/keys/{new['key_id']}", headers=admin)
    assert again.status_code == 404 and _error(again) == "unknown_key"
    bad_role = httpx.post(f"{server}/v1/keys", json={"role": "root"}, headers=admin)
    assert bad_role.status_code == 422
    grader = _bearer(create_key(database_url, "grader"))
    assert httpx.get(f"{server}/v1/keys", headers=grader).status_code == 403
    assert httpx.get(f"{server}/v1/keys").status_code == 401


def test_cors_allows_the_configured_lms_origin_only(server: str) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    allowed = httpx.options(f"{server}/v1/grade", headers={"Origin": LMS_ORIGIN, **preflight})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == LMS_ORIGIN
    other = httpx.options(f"{server}/v1/grade", headers={"Origin": "https://evil.example.com", **preflight})
    assert "access-control-allow-origin" not in other.headers
    # Refusals carry the header too, so the LMS page can read why it was refused.
    refused = httpx.post(f"{server}/v1/grade", json=GRADE, headers={"Origin": LMS_ORIGIN})
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == LMS_ORIGIN
