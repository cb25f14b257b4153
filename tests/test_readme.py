"""The README's example grading response is the one the service gives for the README's request."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from service.registry import RubricRegistry

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("readme_example", ROOT / "scripts" / "readme_example.py")
assert _spec is not None and _spec.loader is not None
readme_example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(readme_example)


def test_the_readme_example_is_what_the_service_answers(registry: RubricRegistry) -> None:
    """It showed engine 0.8.2 and rubric 2026.11.14 long after both had moved on. POST /v1/grade
    answers grade()'s result as it is; run `python scripts/readme_example.py` when this fails."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    body = readme_example.request_body(readme)
    expected = registry.grade(body["rubric_id"], body["answer"]).model_dump(mode="json")
    assert readme_example.shown_result(readme) == expected, (
        "README example out of date: python scripts/readme_example.py"
    )
    # Written as the script writes it, so that regenerating it changes nothing else.
    assert readme_example.render(expected) in readme
    assert json.loads(readme_example.render(expected)) == expected
