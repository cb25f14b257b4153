"""Property-based fuzzing of every operation in openapi.yaml against a real server process.

Each operation gets valid and invalid requests generated from the spec (schemathesis on
Hypothesis): no response may be a 5xx, every status code and body must be the ones the spec
documents, and every error body must be ``{"error": {"code", "message"}}``. The suite runs a
few examples per operation, the same ones every time; ``make fuzz`` runs many more, new each run
(``YUEJUAN_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from conftest import create_key, run_server

ROOT = Path(__file__).resolve().parents[2]
LONG_RUN = "YUEJUAN_FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("YUEJUAN_FUZZ_EXAMPLES", "25"))

schema = schemathesis.openapi.from_path(ROOT / "openapi.yaml")
# Valid and invalid input alike. Unknown query parameters are ignored, as HTTP APIs do (cache
# busters, tracking tags), so they are not generated as "invalid" input.
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], allow_extra_parameters=False)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A server of its own (what the fuzzer creates stays there) and an admin key, which may call everything."""
    workdir = tmp_path_factory.mktemp("fuzz")
    database_url = f"sqlite:///{workdir / 'fuzz.db'}"
    env = {
        "YUEJUAN_DATABASE_URL": database_url,
        "YUEJUAN_RATE_LIMIT_CHECK": "0",
        "YUEJUAN_RATE_LIMIT_GRADE": "0",
        "YUEJUAN_RUN_JOBS": "false",
    }
    key = create_key(database_url, "admin", "fuzz")
    with run_server(workdir, env) as url:
        yield url, {"Authorization": f"Bearer {key}"}


def _meet_unstated_rules(case: schemathesis.Case) -> None:
    """Two rules of valid input that JSON Schema cannot state, applied to schema-valid cases only:
    submission ids are unique within a request (else 422 duplicate ids), and a callback host must
    be on the deployment's allow-list (else 422 callback_not_allowed; tests/api/test_jobs.py)."""
    body = case.body
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE or not isinstance(body, dict):
        return
    body.pop("callback_url", None)
    submissions = body.get("submissions")
    if isinstance(submissions, list):
        for n, submission in enumerate(submissions):
            if isinstance(submission, dict) and isinstance(submission.get("id"), str):
                submission["id"] = f"{n}-{submission['id']}"[:200]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not LONG_RUN,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_holds_to_the_spec(case: schemathesis.Case, target: tuple[str, dict[str, str]]) -> None:
    url, headers = target
    _meet_unstated_rules(case)
    # Any bytes fit `format: binary`, but only a CSV or XLSX with id and answer columns is a sitting:
    # an upload that is not one is refused (422 invalid_file), so schema-valid uploads may be refused.
    excluded = [positive_data_acceptance] if case.media_type == "multipart/form-data" else []
    response = case.call_and_validate(base_url=url, headers=headers, excluded_checks=excluded)
    assert response.status_code < 500
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}, body
        assert isinstance(body["error"]["code"], str) and body["error"]["code"]
        message = body["error"]["message"]
        assert isinstance(message, str) and any("\u4e00" <= ch <= "\u9fff" for ch in message), message
