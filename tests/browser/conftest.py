"""A headless Chromium per test (``browser``) and a desktop-sized page in it (``page``), which fails the
test if any page it showed broke the Content-Security-Policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.support import ARTIFACTS, CHROMIUM, CspWatch


@pytest.fixture
def browser():
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        csp = CspWatch()
        csp.watch_browser(chromium)
        try:
            yield chromium
        finally:
            chromium.close()
        csp.assert_none()  # after the test body: a violation fails the test whose pages caused it


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()
