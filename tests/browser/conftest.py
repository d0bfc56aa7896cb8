"""A headless Chromium per test (``browser``) and a desktop-sized page in it (``page``)."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.support import ARTIFACTS, CHROMIUM


@pytest.fixture
def browser():
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()
