"""A headless Chromium per test module (``browser``, watched per test) and a desktop-sized page in it
(``page``), which fails the test if any page it showed broke the Content-Security-Policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.support import ARTIFACTS, CHROMIUM, CspWatch


@pytest.fixture(scope="module")
def _chromium():
    """One Chromium process for the module's tests (a launch costs a second or more of CPU): each test
    still gets fresh contexts (their own cookies, storage and cache) and none outlives it (``browser``).
    Module scope, not session: Playwright's event loop ends with the module, before any other module's
    tests run in this process."""
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browser(_chromium):
    """The module's Chromium, watched for CSP violations during this test; the contexts the test opened
    are closed after it, and a violation fails the test whose pages caused it."""
    assert _chromium.is_connected(), "Chromium died in an earlier test of this module"
    assert _chromium.contexts == [], "an earlier test left a browser context open"
    csp = CspWatch()
    csp.watch_browser(_chromium)
    try:
        yield _chromium
    finally:
        del _chromium.new_context, _chromium.new_page  # the watch's wrappers: the class's methods again
        for context in _chromium.contexts:
            context.close()
    csp.assert_none()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()
