"""End to end in headless Chromium: an employer drops a candidate's baked badge on /verify, sees one
unmistakable verdict, confirms the candidate's email, and the page passes axe-core."""

from __future__ import annotations

import base64

import pytest
from playwright.sync_api import expect

from assertions.services import assertion_revoke
from issuers.scoping import tenant_scope
from tests.browser.support import ARTIFACTS, assert_accessible

# The verification fixtures (pytest finds them by these names in this module).
from tests.support import RECIPIENT
from tests.support.verification import badges, baked, issue  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def _page(browser, width: int = 1280, height: int = 900):
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(10_000)
    return context.new_page()


def _drop(page, data: bytes, name: str, mime: str) -> None:
    """Drop a file on the drop zone the way a browser does, through a DataTransfer."""
    transfer = page.evaluate_handle(
        """([b64, name, mime]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, {type: mime}));
            return dt;
        }""",
        [base64.b64encode(data).decode(), name, mime],
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})


def test_employer_drops_a_baked_badge_and_confirms_the_candidate(
        live_server, settings, issue, baked, tenant_a, browser):  # noqa: F811 -- the fixtures imported above
    settings.PUBLIC_BASE_URL = live_server.url
    settings.VERIFY_RATE_LIMIT = "1000/minute"
    assertion = issue("png")
    image = baked(assertion)
    page = _page(browser)

    page.goto(f"{live_server.url}/verify")
    expect(page.get_by_role("heading", name="Verify a badge")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / "verify-form.png"), full_page=True)

    _drop(page, image, "candidate-badge.png", "image/png")
    assert page.eval_on_selector("#id_image", "el => el.files.length") == 1
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("heading", name="Valid badge")).to_be_visible()
    expect(page.locator(".verdict")).to_contain_text("Checked")
    expect(page.get_by_role("heading", name="Bricklaying (png)")).to_be_visible()
    expect(page.locator(".issuer-card")).to_contain_text("College A Construction")
    expect(page.locator(".checks")).to_contain_text("has not revoked this badge")
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / "verify-valid.png"), full_page=True)

    # The recipient check: right email, then a wrong one.
    page.fill("#id_recipient_check", RECIPIENT)
    page.get_by_role("button", name="Check the email").click()
    expect(page.get_by_role("heading", name="Valid badge")).to_be_visible()
    expect(page.locator(".checks")).to_contain_text("is the one this badge was issued to")
    assert RECIPIENT not in page.content()
    page.screenshot(path=str(ARTIFACTS / "verify-recipient-ok.png"), full_page=True)
    page.fill("#id_recipient_check", "impostor@example.org")
    page.get_by_role("button", name="Check the email").click()
    expect(page.get_by_role("heading", name="Genuine badge, but not issued to this email address")).to_be_visible()
    expect(page.locator(".check.failed")).to_contain_text("is not the one this badge was issued to")
    page.screenshot(path=str(ARTIFACTS / "verify-recipient-wrong.png"), full_page=True)

    # "Verify again" after the college revokes it: the verdict changes at once.
    with tenant_scope(tenant_a):
        assertion_revoke(assertion=assertion, reason="Issued in error")
    page.get_by_role("button", name="Verify again").click()
    expect(page.get_by_role("heading", name="Revoked: not valid")).to_be_visible()
    expect(page.locator(".check.failed")).to_contain_text("Issued in error")
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / "verify-revoked.png"), full_page=True)


def test_public_assertion_page_shows_the_verification_on_a_phone(
        live_server, settings, issue, browser):  # noqa: F811 -- the fixture imported above
    settings.PUBLIC_BASE_URL = live_server.url
    assertion = issue("svg", signed=True)
    page = _page(browser, width=390, height=844)
    page.goto(f"{live_server.url}/public/assertions/{assertion.public_id}")
    expect(page.get_by_role("heading", name="Valid badge")).to_be_visible()
    expect(page.locator(".checks")).to_contain_text("has not revoked")
    expect(page.get_by_label("Candidate's email")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / "public-assertion-phone.png"), full_page=True)
