"""Write openapi.yaml from the app, so the spec never drifts from the code.

python scripts/export_openapi.py          # write openapi.yaml
python scripts/export_openapi.py --check  # exit 1 when openapi.yaml is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from service.api.openapi import render_openapi

TARGET = Path(__file__).resolve().parent.parent / "openapi.yaml"


def main(argv: list[str]) -> int:
    text = render_openapi()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
            print("openapi.yaml is out of date: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET} ({len(yaml.safe_load(text)['paths'])} paths)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
