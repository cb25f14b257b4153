"""Save screenshots of the self-check page into docs/, driving Debian's Chromium against a real server.

python scripts/screenshot.py      # or: make screenshot
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml
from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
ARGS += ["--no-first-run", "--disable-sync"]
DRAFT = yaml.safe_load((ROOT / "tests/data/examples.yaml").read_text(encoding="utf-8"))["plain"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _check(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#question option[value='internal-customer']")).to_have_count(1)
    page.locator("#draft").fill(DRAFT)
    page.get_by_role("button", name="检查草稿").click()
    expect(page.locator("#checklist > li")).to_have_count(8)
    page.locator("#draft").focus()
    page.evaluate("window.scrollTo(0, 0)")


def main() -> int:
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "YUEJUAN_DATABASE_URL": f"sqlite:///{tmp}/keys.db"}
        server = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port)], env=env, cwd=ROOT
        )
        url = f"http://127.0.0.1:{port}/"
        try:
            for _ in range(300):
                try:
                    if httpx.get(url, timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
                desktop = browser.new_page(viewport={"width": 1000, "height": 800}, locale="zh-CN")
                _check(desktop, url)
                desktop.screenshot(path=DOCS / "self-check.png", full_page=True)
                phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
                _check(phone, url)
                phone.locator("#result-heading").evaluate("el => el.scrollIntoView()")
                phone.screenshot(path=DOCS / "self-check-phone.png")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"wrote {DOCS / 'self-check.png'} and {DOCS / 'self-check-phone.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
