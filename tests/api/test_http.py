"""The HTTP API, through a real server process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import yaml

EXAMPLES: dict[str, str] = yaml.safe_load((Path(__file__).parents[1] / "data/examples.yaml").read_text("utf-8"))


def _error(response: httpx.Response) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] and body["error"]["message"]
    error: dict[str, str] = body["error"]
    return error


def test_health(server: str) -> None:
    response = httpx.get(f"{server}/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_rubric_list_and_public_view(server: str, grader: httpx.Client) -> None:
    listing = httpx.get(f"{server}/v1/rubrics").json()["rubrics"]
    assert {"id": "internal-customer", "title": "如何理解内部客户关系"}.items() <= listing[0].items()
    view = grader.get(f"{server}/v1/rubrics/internal-customer").json()
    assert view["prompt"].startswith("企业文化考试论述题")
    assert all(set(c) == {"id", "title", "points", "hint"} for c in view["concepts"])
    text = grader.get(f"{server}/v1/rubrics/internal-customer").text
    assert "references" not in text and "lexicon" not in text and "我负责质量检验" not in text


def test_grade_returns_the_itemized_result(server: str, grader: httpx.Client) -> None:
    response = grader.post(
        f"{server}/v1/grade", json={"rubric_id": "internal-customer", "answer": EXAMPLES["complete"]}
    )
    assert response.status_code == 200
    result = response.json()
    assert result["rubric_id"] == "internal-customer" and result["rubric_version"] and result["engine_version"]
    assert result["score"] >= 8.5 and result["max_score"] == 10
    item = result["items"][0]
    assert {"concept_id", "title", "status", "points", "max_points", "evidence", "hint"} <= set(item)
    for item in result["items"]:
        for ev in item["evidence"]:
            assert EXAMPLES["complete"][ev["start"] : ev["end"]] == ev["text"]
    assert {"similarity", "flags", "needs_review", "comment"} <= set(result)


def test_empty_answer_is_valid_and_scores_zero(server: str, grader: httpx.Client) -> None:
    result = grader.post(f"{server}/v1/grade", json={"rubric_id": "internal-customer", "answer": ""}).json()
    assert result["score"] == 0 and [f["code"] for f in result["flags"]] == ["empty"]


def test_unknown_rubric_is_404(server: str, grader: httpx.Client) -> None:
    response = grader.post(f"{server}/v1/grade", json={"rubric_id": "nope", "answer": "x"})
    assert response.status_code == 404 and _error(response)["code"] == "unknown_rubric"
    assert grader.get(f"{server}/v1/rubrics/nope").status_code == 404


def test_malformed_bodies_are_422(server: str, grader: httpx.Client) -> None:
    for body in [{"answer": "x"}, {"rubric_id": "internal-customer", "answer": 5}, {"rubric_id": "internal-customer"}]:
        response = grader.post(f"{server}/v1/grade", json=body)
        assert response.status_code == 422 and _error(response)["code"] == "invalid_request"
    response = grader.post(f"{server}/v1/grade", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422 and _error(response)["code"] == "invalid_request"


def test_validation_details_are_chinese_and_keep_type_and_loc(server: str, grader: httpx.Client) -> None:
    # An LMS acts on `type` and `loc`; the people reading `message` read Chinese, not pydantic's English.
    body = {"answer": 5, "extra": 1}
    details = grader.post(f"{server}/v1/grade", json=body).json()["error"]["details"]
    assert details == [
        {"loc": ["body", "rubric_id"], "message": "缺少必填项。", "type": "missing"},
        {"loc": ["body", "answer"], "message": "须为字符串。", "type": "string_type"},
        {"loc": ["body", "extra"], "message": "不接受此字段。", "type": "extra_forbidden"},
    ]
    too_long = grader.post(f"{server}/v1/grade", json={"rubric_id": "r" * 65, "answer": ""}).json()["error"]
    assert too_long["details"][0]["message"] == "长度至多为 64 个字符。"
    listing = grader.get(f"{server}/v1/jobs", params={"status": "bogus", "limit": 0, "offset": "x"})
    assert listing.status_code == 422
    assert {d["type"]: d["message"] for d in listing.json()["error"]["details"]} == {
        "literal_error": "须为以下取值之一:'queued'、'running'、'done'、'failed'、'cancelled'。",
        "int_parsing": "须为整数。",
        "greater_than_equal": "须大于或等于 1。",
    }
    broken = grader.post(f"{server}/v1/grade", content=b"{oops", headers={"content-type": "application/json"})
    assert broken.json()["error"]["details"][0]["message"] == "请求体不是有效的 JSON。"
    # Our own validators' messages stay as they are worded, without pydantic's English prefix.
    nul = grader.post(f"{server}/v1/grade", json={"rubric_id": "internal-customer", "answer": "a\x00"})
    assert nul.json()["error"]["details"][0]["message"].startswith("不能含有空字符")


def test_oversized_answer_is_413(server: str, grader: httpx.Client) -> None:
    response = grader.post(f"{server}/v1/grade", json={"rubric_id": "internal-customer", "answer": "字" * 20_001})
    assert response.status_code == 413 and _error(response)["code"] == "answer_too_long"


def test_oversized_body_is_413(server: str, grader: httpx.Client) -> None:
    response = grader.post(f"{server}/v1/grade", json={"rubric_id": "internal-customer", "answer": "a" * 3_000_000})
    assert response.status_code == 413 and _error(response)["code"] == "payload_too_large"


def test_oversized_chunked_body_is_413(server: str, grader: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"rubric_id": "internal-customer", "answer": "'
        for _ in range(40):
            yield b"a" * 65536
        yield b'"}'

    response = grader.post(f"{server}/v1/grade", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413 and _error(response)["code"] == "payload_too_large"


def test_batch_keeps_order_and_ids_and_isolates_bad_submissions(server: str, grader: httpx.Client) -> None:
    submissions = [
        {"id": "s3", "answer": EXAMPLES["complete"]},
        {"id": "s1", "answer": ""},
        {"id": "s2", "answer": "字" * 20_001},
        {"id": "s0", "answer": EXAMPLES["crm"]},
    ]
    response = grader.post(
        f"{server}/v1/grade/batch", json={"rubric_id": "internal-customer", "submissions": submissions}, timeout=30
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["id"] for r in results] == ["s3", "s1", "s2", "s0"]
    assert results[0]["result"]["score"] >= 8.5
    assert results[1]["result"]["score"] == 0
    assert results[2]["result"] is None and results[2]["error"]["code"] == "answer_too_long"
    assert "off_topic" in [f["code"] for f in results[3]["result"]["flags"]]


def test_batch_rejects_duplicate_ids_and_oversized_batches(server: str, grader: httpx.Client) -> None:
    dup = [{"id": "a", "answer": "x"}, {"id": "a", "answer": "y"}]
    response = grader.post(f"{server}/v1/grade/batch", json={"rubric_id": "internal-customer", "submissions": dup})
    # The same code and wording as a batch job with repeated ids.
    assert response.status_code == 422 and _error(response)["code"] == "duplicate_submission_ids"
    assert _error(response)["message"] == "作答编号必须唯一,以下编号重复:a"
    many = [{"id": str(i), "answer": ""} for i in range(1001)]
    response = grader.post(f"{server}/v1/grade/batch", json={"rubric_id": "internal-customer", "submissions": many})
    assert response.status_code == 422 and _error(response)["code"] == "invalid_request"


def test_grading_needs_a_grader_key(server: str) -> None:
    for path, body in [
        ("/v1/grade", {"rubric_id": "internal-customer", "answer": "x"}),
        ("/v1/grade/batch", {"rubric_id": "internal-customer", "submissions": [{"id": "a", "answer": "x"}]}),
    ]:
        response = httpx.post(f"{server}{path}", json=body)
        assert response.status_code == 401 and _error(response)["code"] == "missing_key"


def test_unknown_route_is_a_structured_404(server: str) -> None:
    response = httpx.get(f"{server}/v1/nothing-here")
    assert response.status_code == 404 and _error(response)["code"] == "not_found"
