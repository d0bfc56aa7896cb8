"""What every browser test shares: Debian's Chromium, where screenshots go, and the axe-core check."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support import PASSWORD

# Playwright's sync API runs an event loop in this thread; Django would refuse ORM calls from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"  # never `playwright install`: it cannot download here
#: Every screenshot a test takes goes under the repository's test-artifacts/ (gitignored), nowhere else.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def log_in(page, base: str, email: str, *, password: str = PASSWORD, lands_on: str | None = None  # noqa: ANN001
           ) -> None:
    """Sign in through the login form (``page``: a Playwright Page) as ``email``, by default with the shared
    fixtures' password; then, if ``lands_on`` is given (a path or URL glob under ``base``), wait until the
    browser is there."""
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("main form [type=submit]").click()
    if lands_on is not None:
        page.wait_for_url(f"{base}{lands_on}")


def shots(folder: str = "") -> Path:
    """The folder under test-artifacts/ for a group of screenshots (made if missing)."""
    path = ARTIFACTS / folder if folder else ARTIFACTS
    path.mkdir(parents=True, exist_ok=True)
    return path


def assert_accessible(page, where: str = "") -> None:  # noqa: ANN001 - a Playwright Page
    """No serious or critical WCAG violations on the page as it is now (axe-core)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}]
    assert not bad, f"{where or page.url}: {[(v['id'], [n['target'] for n in v['nodes']]) for v in bad]}"


class CspWatch:
    """Collects what Chromium reports as a Content-Security-Policy violation: every page we serve must
    work under the policy, with no inline script, style or handler refused. ``watch_browser`` attaches
    it to every context (and so every page) a test opens."""

    def __init__(self) -> None:
        self.violations: list[str] = []

    def attach(self, target) -> None:  # noqa: ANN001 - a Playwright BrowserContext or Page
        target.on("console", self._console)

    def watch_browser(self, browser) -> None:  # noqa: ANN001 - a Playwright Browser
        new_context, new_page = browser.new_context, browser.new_page

        def context_watched(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            context = new_context(*args, **kwargs)
            self.attach(context)
            return context

        def page_watched(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            page = new_page(*args, **kwargs)
            self.attach(page)
            return page

        browser.new_context, browser.new_page = context_watched, page_watched

    def _console(self, message) -> None:  # noqa: ANN001 - a Playwright ConsoleMessage
        if "Content Security Policy" in message.text:
            self.violations.append(f"{message.location.get('url', '')}: {message.text}")

    def assert_none(self) -> None:
        assert not self.violations, "CSP violations:\n" + "\n".join(self.violations)

def wait_until(page, expression: str, timeout: float = 15.0) -> None:  # noqa: ANN001 - a Playwright Page
    """Wait until a JavaScript expression is true on the page. Playwright's ``wait_for_function`` runs its
    predicate through ``eval`` inside the page, which our Content-Security-Policy rightly refuses (newer
    Chromium reports it); ``page.evaluate`` goes through the DevTools protocol, which the policy does not
    govern, so poll that instead."""
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        page.wait_for_timeout(50)


DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def look_at_both_sizes(page, name: str, folder: Path = ARTIFACTS) -> None:  # noqa: ANN001 - a Playwright Page
    """Screenshots at desktop and phone sizes into ``folder`` (under test-artifacts/); axe-clean at both;
    nothing scrolls sideways on the phone. Leaves the page at the desktop size."""
    assert folder.is_relative_to(ARTIFACTS), f"screenshots go under {ARTIFACTS}, not {folder}"
    folder.mkdir(parents=True, exist_ok=True)
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        assert_accessible(page, f"{name} ({size})")
        page.screenshot(path=str(folder / f"{name}-{size}.png"), full_page=True)
        if size == "phone":
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"] + 1, f"{name} scrolls sideways on a phone ({width}px)"
    page.set_viewport_size(DESKTOP)
