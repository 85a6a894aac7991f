"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server.

Never `playwright install` (it downloads a browser): the system chromium is used.
Every test here is marked `browser`, so the root conftest skips them where chromium is
missing. With MUSICSYNC_SCREENSHOTS=<dir>, `screenshot(page, name)` saves full pages there
(`make screenshots` writes docs/screenshots/).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import CHROMIUM

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.hookimpl(tryfirst=True)  # before the root conftest's skip policy reads the marks
def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def csp_violations(page):
    """Console errors the Content-Security-Policy raised on the pages a test visits."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    return seen


def screenshot(page, name: str) -> Path | None:
    """Save a full-page screenshot when MUSICSYNC_SCREENSHOTS names a folder."""
    folder = os.environ.get("MUSICSYNC_SCREENSHOTS")
    if not folder:
        return None
    path = Path(folder) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path
