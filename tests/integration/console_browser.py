"""Playwright on Debian's Chromium for the console's page tests: the browser (never a
downloaded one), logging in through the login page, screenshots of a page at a desktop
and a phone size, and a check that a page has no inline script or style."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# The elements that reach past the right edge of the window (for the assertion's message).
WIDE = """() => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth)
  .slice(0, 8).map(e => `${e.tagName}.${e.className} ${(e.textContent || "").slice(0, 40)}`)"""
# The test-output folder (git ignores it); SCREENING_CONSOLE_SCREENSHOTS=docs/console
# refreshes the README's pictures. STARTED lets a test tell this run's screenshots apart.
SCREENSHOTS = Path(
    os.environ.get("SCREENING_CONSOLE_SCREENSHOTS")
    or Path(__file__).resolve().parents[2] / "test-output" / "console"
)
STARTED = time.time()


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (Debian's), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Any, base: str, user: str, password: str) -> None:
    """Log in through the login page (its labels and button) and land on the queue."""
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/holds*")


def shoot(page: Any, name: str) -> None:
    """Screenshots of the page as it is at 1280x800 and at 390x844 (a phone), full length,
    as `name.png` and `name-phone.png` under SCREENSHOTS; the page asserts that nothing
    overflows sideways at either size."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size, suffix in ((DESKTOP, ""), (PHONE, "-phone")):
        page.set_viewport_size(size)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}{suffix}: {overflow}px too wide: {page.evaluate(WIDE)}"
        page.screenshot(path=str(SCREENSHOTS / f"{name}{suffix}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


class _Inline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        handlers = sorted(n for n in names if n.startswith("on"))
        if handlers:
            self.found.append(f"<{tag}> handler {handlers}")
        if "style" in names:
            self.found.append(f"<{tag}> style attribute")
        if tag == "style":
            self.found.append("<style> element")
        if tag == "script":
            if "src" not in names:
                self.found.append("<script> without src")
            self._in_script = True
        if any(v and v.strip().lower().startswith("javascript:") for _, v in attrs):
            self.found.append(f"<{tag}> javascript: URL")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append("<script> with a body")


def inline_code(html: str) -> list[str]:
    """Inline script, event handlers, style attributes or elements found in a page."""
    parser = _Inline()
    parser.feed(html)
    return parser.found
