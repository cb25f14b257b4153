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
    # The self-check takes a key but does not need one: `{}` among the security alternatives.
    assert {} in spec["paths"]["/v1/check"]["post"]["security"]
    batch = spec["components"]["schemas"]["BatchGradeRequest"]["properties"]["submissions"]
    assert batch["maxItems"] == 1000


def test_spec_documents_the_jobs_api() -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    jobs = {"/v1/jobs", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/results", "/v1/jobs/{job_id}/report"}
    assert jobs <= set(spec["paths"])
    create = spec["paths"]["/v1/jobs"]["post"]
    assert {"application/json", "multipart/form-data"} <= set(create["requestBody"]["content"])
    assert "202" in create["responses"] and "delete" in spec["paths"]["/v1/jobs/{job_id}"]
    assert {"401", "403"} <= set(spec["paths"]["/v1/jobs"]["get"]["responses"])
    assert spec["components"]["schemas"]["JobCreateRequest"]["properties"]["submissions"]["maxItems"] == 100_000


def test_every_reference_in_the_spec_resolves() -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    refs: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            refs.extend(v for k, v in node.items() if k == "$ref")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    schemas = spec["components"]["schemas"]
    assert refs and all(r.startswith("#/components/schemas/") for r in refs)
    assert sorted({r.rsplit("/", 1)[1] for r in refs} - set(schemas)) == []


def test_every_error_response_documents_the_error_body_the_server_sends() -> None:
    # The server answers every 4xx/5xx with {"error": {...}} (422 included: GET /v1/jobs?limit=0),
    # never FastAPI's own {"detail": [...]}; the spec must say so, or generated clients misread errors.
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    assert not {"HTTPValidationError", "ValidationError"} & set(spec["components"]["schemas"])
    wrong = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if not str(status).startswith(("4", "5")):
                    continue
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                if schema.get("$ref") != "#/components/schemas/ErrorResponse":
                    wrong.append(f"{method.upper()} {path} {status}")
    assert wrong == []
    assert "422" in spec["paths"]["/v1/jobs"]["get"]["responses"]


def test_the_spec_refuses_nul_in_a_submissions_own_fields_as_the_server_does() -> None:
    """A submission's own fields are any JSON the server keeps, except NUL in a name or a string at any
    depth (the server answers 422): the spec must say so, or a schema-valid request is refused."""
    schemas = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))["components"]["schemas"]
    no_nul = {"pattern": r"^[^\u0000]*$"}
    submission = schemas["JobSubmission"]
    assert submission["propertyNames"] == no_nul
    assert submission["additionalProperties"] == {"$ref": "#/components/schemas/OwnValue"}
    branches = schemas["OwnValue"]["anyOf"]
    assert {"pattern": r"^[^\u0000]*$", "type": "string"} in branches
    (mapping,) = [b for b in branches if b.get("type") == "object"]
    assert mapping["propertyNames"] == no_nul and "patternProperties" not in mapping
    assert mapping["additionalProperties"] == {"$ref": "#/components/schemas/OwnValue"}
