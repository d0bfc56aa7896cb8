"""End to end in headless Chromium: an employer uploads another platform's baked Open Badges 3.0 credential
on /verify and reads every check in words, on a desktop and on a phone, and one of ours, with its
college; the page passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from credentials import services
from issuers.scoping import tenant_scope
from tests.browser.support import ARTIFACTS, assert_accessible
from tests.support.ob3 import harbour  # noqa: F401 - a fixture
from tests.support.verification import badges, issue  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("width", "height", "name"), [(1280, 800, "desktop"), (390, 844, "phone")])
def test_employer_uploads_a_foreign_ob3_credential_and_reads_every_check(
        live_server, settings, browser, harbour, width, height, name):  # noqa: F811 -- the fixture imported above
    settings.VERIFY_ALLOW_PRIVATE_ADDRESSES = True  # the foreign issuer is on loopback
    settings.VERIFY_RATE_LIMIT = "1000/minute"
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/verify")
    page.set_input_files("#id_image", str(harbour.cases["good baked png"].path))
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("heading", name="Valid badge")).to_be_visible()
    expect(page.get_by_role("heading", name="Welding Level 2")).to_be_visible()
    expect(page.locator(".badge-card .facts")).to_contain_text("Open Badges 3.0")
    checks = page.locator(".checks")
    for words in ("conforms to the 1EdTech JSON schema", "The signing key belongs to Harbour College",
                  "The digital signature (Data Integrity, eddsa-rdfc-2022) is valid",
                  "has not revoked this credential (checked in its signed status list)",
                  "This credential does not expire"):
        expect(checks).to_contain_text(words)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / f"verify-ob3-{name}.png"), full_page=True)

    page.goto(f"{live_server.url}/verify")
    page.fill("#id_badge", harbour.cases["revoked by status list"].data.decode())
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("heading", name="Revoked: not valid")).to_be_visible()
    expect(page.locator(".check.failed")).to_contain_text("its entry 8 in the signed status list is set")
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / f"verify-ob3-revoked-{name}.png"), full_page=True)
    context.close()


def test_employer_uploads_our_own_ob3_credential_and_sees_the_college(
        live_server, settings, browser, tenant_a, issue, tmp_path):  # noqa: F811 -- the fixtures imported above
    settings.PUBLIC_BASE_URL = live_server.url
    settings.VERIFY_RATE_LIMIT = "1000/minute"
    award = issue("svg")
    with tenant_scope(tenant_a):
        image = services.credential_bake(award, services.credential_record(award))
    path = tmp_path / "ours.svg"
    path.write_bytes(image)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/verify")
    page.set_input_files("#id_image", str(path))
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("heading", name="Valid badge")).to_be_visible()
    expect(page.get_by_role("heading", name="Bricklaying (svg)")).to_be_visible()
    expect(page.locator(".badge-card .facts")).to_contain_text("Open Badges 3.0")
    expect(page.locator(".checks")).to_contain_text("The signing key belongs to College A Construction")
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / "verify-ob3-ours-desktop.png"), full_page=True)
    context.close()
