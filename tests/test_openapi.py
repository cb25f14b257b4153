from __future__ import annotations

from pathlib import Path

import yaml

from service.api.openapi import render_openapi

ROOT = Path(__file__).resolve().parent.parent


def test_openapi_yaml_matches_the_app() -> None:
    committed = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    assert committed == render_openapi(), "openapi.yaml drifted from the app: run `make openapi`"


def test_spec_documents_the_versioned_routes_and_error_schema() -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    assert {"/healthz", "/v1/rubrics", "/v1/rubrics/{rubric_id}", "/v1/grade", "/v1/grade/batch"} <= set(spec["paths"])
    assert {"/v1/check", "/v1/check/questions"} <= set(spec["paths"])
    assert "ErrorResponse" in spec["components"]["schemas"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    grade = spec["paths"]["/v1/grade"]["post"]
    assert {"401", "403", "429"} <= set(grade["responses"]) and grade["security"] == [{"HTTPBearer": []}]
    assert "Retry-After" in spec["paths"]["/v1/check"]["post"]["responses"]["429"]["headers"]
    batch = spec["components"]["schemas"]["BatchGradeRequest"]["properties"]["submissions"]
    assert batch["maxItems"] == 1000
