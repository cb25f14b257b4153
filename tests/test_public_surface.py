"""Each package lists its public surface once, in __all__, and every name there exists."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = [
    "service",
    "service.text",
    "service.rubric",
    "service.scoring",
    "service.api",
    "service.errors",
    "service.auth",
    "service.jobs",
    "service.storage",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    assert len(set(module.__all__)) == len(module.__all__)
    for attr in module.__all__:
        assert hasattr(module, attr), f"{name}.{attr}"


def test_pure_layers_do_not_import_http_or_storage() -> None:
    import sys

    for layer in ("service.text", "service.rubric", "service.scoring"):
        importlib.import_module(layer)
    # Importing the pure layers must not pull in the web framework.
    code = (
        "import sys, service.scoring, service.rubric, service.text;"
        "print('fastapi' in sys.modules or 'sqlalchemy' in sys.modules)"
    )
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
