"""Playwright driving Debian's Chromium against a live server."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import REQUIRE_SERVICES, missing_service

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"
# This machine has no outside network: keep Chromium from calling home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


# Per module, not per session: Playwright's sync API keeps an event loop
# running while it is open, and the asyncio tests that come after the
# browser tests need the thread's loop to themselves.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        missing_service(f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser, server):  # type: ignore[no-untyped-def]
    """A fresh browser context (no cookies) on the module's live server."""
    context = browser.new_context(base_url=server.url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page, email: str, password: str, next_path: str = "/") -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/login?next={next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def screenshot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Keep a picture of a page for the docs (docs/screenshots/NAME.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def csrf_token(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "form has no CSRF token"
    return match.group(1)


AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
_SERIOUS_VIOLATIONS = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.map((n) => n.target.join(" "))}));
}"""


@functools.cache
def _axe_source() -> str:
    if not AXE.exists():
        missing_service("axe-core is not installed: run npm ci --prefix tests/browser")
    return AXE.read_text()


def assert_accessible(page) -> None:  # type: ignore[no-untyped-def]
    """axe-core finds no serious or critical violation on the page as shown now.

    The pages' Content-Security-Policy refuses inline scripts, so
    ``add_script_tag`` is blocked; evaluating axe's source through the
    DevTools protocol is not, and leaves the policy on for every test.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    violations = page.evaluate(_SERIOUS_VIOLATIONS)
    assert violations == [], f"{page.url}: {violations}"


__all__ = ["REQUIRE_SERVICES", "assert_accessible", "csrf_token", "screenshot", "sign_in"]
