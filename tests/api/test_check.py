"""POST /v1/check: the student's view of a draft, through the real server, without an oracle."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import yaml

from conftest import RUBRICS

EXAMPLES: dict[str, str] = yaml.safe_load((Path(__file__).parents[1] / "data/examples.yaml").read_text("utf-8"))
RUBRIC = yaml.safe_load((RUBRICS / "internal-customer.yaml").read_text(encoding="utf-8"))
TARGET_PHRASES = ["职级客户", "职能客户", "工序客户", "互为供方", "片面"]


def _check(server: str, answer: str) -> httpx.Response:
    return httpx.post(f"{server}/v1/check", json={"rubric_id": "internal-customer", "answer": answer}, timeout=30)


def test_a_good_draft_gets_a_checklist_with_evidence_in_place(server: str) -> None:
    response = _check(server, EXAMPLES["complete"])
    assert response.status_code == 200
    result = response.json()
    assert result["total"] == len(RUBRIC["concepts"]) and result["met"] >= 6
    assert result["score"] >= 8.5 and result["max_score"] == 10  # this rubric shows the score
    met = [i for i in result["items"] if i["status"] == "met"]
    assert met[0]["label"] == RUBRIC["concepts"][met[0]["number"] - 1]["title"] and met[0]["hint"] is None
    for item in result["items"]:
        for evidence in item["evidence"]:
            assert EXAMPLES["complete"][evidence["start"] : evidence["end"]].strip()
    assert result["length"] > 300 and result["expected_length"] == 400 and result["min_length"] == 40


def test_a_blank_draft_gets_hints_that_do_not_hand_over_the_answer(server: str) -> None:
    result = _check(server, "不知道").json()
    assert result["met"] == 0 and all(i["status"] == "missing" for i in result["items"])
    assert all(i["hint"] for i in result["items"])
    text = json.dumps(result, ensure_ascii=False)
    for phrase in TARGET_PHRASES:
        assert phrase not in text, phrase
    for concept in RUBRIC["concepts"]:
        assert concept["title"] not in text
        for phrase in concept.get("key_phrases", []):
            assert phrase not in text, phrase


def test_the_view_carries_no_rules_weights_references_or_reviewer_data(server: str) -> None:
    result = _check(server, EXAMPLES["plain"]).json()
    assert set(result) == {
        "rubric_id", "rubric_version", "score", "max_score", "met", "total",
        "items", "flags", "length", "min_length", "expected_length",
    }  # fmt: skip
    for item in result["items"]:
        assert set(item) == {"number", "status", "label", "hint", "evidence"}
        assert all(set(e) == {"start", "end", "role"} for e in item["evidence"])
    text = json.dumps(result, ensure_ascii=False)
    for reference in RUBRIC["references"]:
        assert reference.strip()[:20] not in text
    # What the student reads beyond their own draft and the titles of points already met:
    # it names no synonym of the rubric that the hints as written do not already use.
    reading = [f["message"] for f in result["flags"]]
    reading += [i["label"] for i in result["items"] if i["status"] != "met"]
    reading += [i["hint"] for i in result["items"] if i["hint"]]
    hints = " ".join(c["hint"] for c in RUBRIC["concepts"])
    lexicon = {word for group in RUBRIC["lexicon"].values() for word in group if len(word) >= 2}
    assert not {w for w in lexicon if w in " ".join(reading) and w not in hints}


def test_flags_speak_to_the_student(server: str) -> None:
    result = _check(server, EXAMPLES["keyword_list"]).json()
    messages = {f["code"]: f["message"] for f in result["flags"]}
    assert "keyword_list" in messages and "请人工复核" not in json.dumps(messages, ensure_ascii=False)
    contradiction = _check(server, "我认为上级就是下级的客户,这种理解并不片面,下级只需要服从。").json()
    for flag in contradiction["flags"]:
        for phrase in TARGET_PHRASES:
            assert phrase not in flag["message"]


def test_the_page_itself_holds_no_rubric_content(server: str) -> None:
    for path in ("/", "/static/app.js", "/static/app.css"):
        text = httpx.get(f"{server}{path}").text
        for phrase in TARGET_PHRASES:
            assert phrase not in text, (path, phrase)


def test_questions_for_the_page(server: str) -> None:
    questions = httpx.get(f"{server}/v1/check/questions").json()["questions"]
    ic = next(q for q in questions if q["id"] == "internal-customer")
    assert ic["title"] == RUBRIC["title"] and ic["prompt"].startswith("企业文化考试论述题")
    assert ic["expected_length"] == 400 and ic["shows_score"] is True
    assert "concepts" not in ic


def test_unknown_rubric_and_malformed_body(server: str) -> None:
    unknown = httpx.post(f"{server}/v1/check", json={"rubric_id": "nope", "answer": "x"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_rubric"
    malformed = httpx.post(f"{server}/v1/check", json={"rubric_id": "internal-customer"})
    assert malformed.status_code == 422 and malformed.json()["error"]["code"] == "invalid_request"
