"""Write the README's example grading response from a real server, so the example never drifts.

python scripts/readme_example.py   # start `yuejuan serve`, send the README's request, rewrite the result

The request is the README's own curl command (between the ``readme-example`` markers); the result is
what the server answers, one concept a line. tests/test_readme.py fails when it no longer is.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
REQUEST = re.compile(r"<!-- readme-example: request -->\n```\n(?P<block>.*?)```\n", re.DOTALL)
RESULT = re.compile(r"<!-- readme-example: result -->\n```json\n(?P<block>.*?)```\n", re.DOTALL)


def request_body(readme: str) -> dict[str, Any]:
    """The JSON body of the README's curl command."""
    found = REQUEST.search(readme)
    assert found is not None, "README: no readme-example request block"
    data = re.search(r"-d '(.*?)'", found["block"], re.DOTALL)
    assert data is not None, "README: the example curl command has no -d '…' body"
    body: dict[str, Any] = json.loads(data[1])
    return body


def shown_result(readme: str) -> dict[str, Any]:
    found = RESULT.search(readme)
    assert found is not None, "README: no readme-example result block"
    result: dict[str, Any] = json.loads(found["block"])
    return result


def render(result: dict[str, Any]) -> str:
    """The result as JSON that reads in a README: one concept a line."""

    def dump(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)

    parts = []
    for key, value in result.items():
        if key == "items":
            parts.append('"items": [\n' + ",\n".join(f"   {dump(item)}" for item in value) + "\n ]")
        else:
            parts.append(f"{dump(key)}: {dump(value)}")
    return "{" + ",\n ".join(parts) + "}\n"


def _served_result(body: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        env = {**os.environ, "YUEJUAN_DATABASE_URL": f"sqlite:///{folder}/keys.db", "YUEJUAN_RUN_JOBS": "false"}
        cli = [sys.executable, "-m", "service.cli"]
        key = subprocess.run(
            [*cli, "keys", "create", "--role", "grader"], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 90
            while True:
                try:
                    if httpx.get(f"{url}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the server did not start")
                time.sleep(0.2)
            response = httpx.post(f"{url}/v1/grade", json=body, headers={"Authorization": f"Bearer {key}"})
            response.raise_for_status()
            result: dict[str, Any] = response.json()
            return result
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> int:
    readme = README.read_text(encoding="utf-8")
    result = _served_result(request_body(readme))
    found = RESULT.search(readme)
    assert found is not None
    README.write_text(readme[: found.start("block")] + render(result) + readme[found.end("block") :], encoding="utf-8")
    print(f"wrote the example result into {README} (engine {result['engine_version']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
