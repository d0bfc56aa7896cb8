"""A college admin rotates an issuer's Open Badges 3.0 key from Settings in Chromium: the keys page, the
confirmation page, and the keys page again with the old key retired (screenshots at both sizes, axe)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from credentials.keys import credential_key_active
from issuers.scoping import tenant_scope
from tests.browser.support import log_in, look_at_both_sizes, shots

pytestmark = pytest.mark.browser
SHOTS = shots("ob3-keys")


def test_an_admin_rotates_a_key_after_confirming(live_server, page, alice, tenant_a, issuer_a):
    with tenant_scope(tenant_a):
        old = credential_key_active(issuer=issuer_a).public_key_multibase
    log_in(page, live_server.url, alice.email, lands_on="/t/college-a/**")
    page.goto(f"{live_server.url}/t/college-a/settings/")
    page.get_by_role("link", name="Open Badges 3.0 keys").click()
    expect(page.get_by_role("heading", name="Open Badges 3.0 keys")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(1)
    look_at_both_sizes(page, "keys", SHOTS)

    page.get_by_role("link", name=f"Rotate {issuer_a.name}'s key").click()
    expect(page.get_by_role("heading", name=f"Rotate {issuer_a.name}'s Open Badges 3.0 key?")).to_be_visible()
    expect(page.locator("main")).to_contain_text(old)
    look_at_both_sizes(page, "rotate-confirm", SHOTS)
    page.get_by_role("button", name="Rotate the key").click()

    expect(page.locator(".messages")).to_contain_text("keep verifying")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("signing")
    expect(rows.nth(1)).to_contain_text(old)
    expect(rows.nth(1)).to_contain_text("verifies older credentials")
    look_at_both_sizes(page, "keys-rotated", SHOTS)
