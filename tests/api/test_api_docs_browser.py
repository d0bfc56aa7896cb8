"""The API docs in headless Chromium with every request off this machine refused: Swagger UI must
load from our own static files and list the endpoints (it is read on servers with no internet)."""

from __future__ import annotations

import os
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser.support import ARTIFACTS, CHROMIUM, CspWatch

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's event loop runs in this thread


pytestmark = pytest.mark.browser


def test_swagger_ui_renders_offline_and_lists_the_endpoints(live_server, transactional_db):
    ARTIFACTS.mkdir(exist_ok=True)
    outside: list[str] = []

    def only_loopback(route):
        host = urlparse(route.request.url).hostname or ""
        if host in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", only_loopback)
            csp = CspWatch()
            csp.attach(page)
            page.goto(f"{live_server.url}/api/v1/docs/")
            expect(page.locator(".swagger-ui .title")).to_contain_text("Badge Platform API", timeout=15_000)
            expect(page.get_by_text("/api/v1/badgeclasses/{public_id}/assertions/bulk/")).to_be_visible()
            expect(page.get_by_role("button", name="Authorize")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "api-docs.png"), full_page=False)
            csp.assert_none()
        finally:
            browser.close()
    assert outside == []
