"""The college admin's journeys in headless Chromium, desktop (1280x800) and phone (390x844), axe-clean:
a logo uploaded in Settings and a pale colour paired with dark text, both then on the college's pages (the
claim page, the share page, the verify result); a new API key copied with its button; a staff invitation
whose link signs the newcomer up with the address already proven; on a phone, the staff and API key tables
as stacked rows with every action reachable."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from assertions import links
from issuers.models import Invitation, Membership, OutboxEmail, Role
from issuers.scoping import tenant_scope
from issuers.services import invitation_create
from tests.browser.support import ARTIFACTS, assert_accessible, log_in, wait_until
from tests.support import issue_one, png_bytes

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _shot(page: Page, name: str) -> None:
    wait_until(page, "Array.from(document.images).every(i => i.complete)")
    page.screenshot(path=str(ARTIFACTS / f"admin-{name}.png"), full_page=True)
    page.evaluate("window.scrollTo(0, 0)")


def _colour(page: Page, selector: str, prop: str) -> str:
    return page.evaluate(f"getComputedStyle(document.querySelector({selector!r})).{prop}")


def test_the_admin_brands_the_college_and_its_pages_show_it(live_server, browser, alice, tenant_a, badge_a,
                                                            settings, tmp_path):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path
    base = live_server.url
    with tenant_scope(tenant_a):
        award = issue_one(badge_class=badge_a, recipient_identity="lee@example.org", recipient_name="Lee Ann",
                          notify=False)
    context = browser.new_context(viewport=DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, base, alice.email, lands_on="/t/college-a/")

    # --- Settings: a logo that is not square is refused with the reason; a square one is taken ----------
    page.get_by_role("link", name="Settings").click()
    wide = b'<svg xmlns="http://www.w3.org/2000/svg" width="300" height="80"><rect width="300" height="80"/></svg>'
    page.set_input_files("#id_logo_file", files=[{"name": "wide.svg", "mimeType": "image/svg+xml", "buffer": wide}])
    with page.expect_navigation():
        page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".errorlist")).to_contain_text("Badge images must be square")
    page.set_input_files("#id_logo_file", files=[{"name": "logo.png", "mimeType": "image/png",
                                                  "buffer": png_bytes(128, colour=(15, 118, 110, 255))}])
    page.fill("#id_primary_colour", "#fde047")  # a pale yellow: white text on it would be unreadable
    page.fill("#id_linkedin_organization_id", "1337")
    with page.expect_navigation():
        page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".messages")).to_contain_text("Settings saved.")
    expect(page.locator("#brand-contrast")).to_contain_text("Text on your colour is black: contrast 13.46:1")
    assert _colour(page, ".topbar", "backgroundColor") == "rgb(253, 224, 71)"
    assert _colour(page, ".topbar a", "color") == "rgb(17, 24, 39)"  # dark text on the pale colour
    expect(page.locator(".college-brand img")).to_be_visible()
    assert_accessible(page, "settings with a logo and a pale colour")
    _shot(page, "settings")

    # --- A new API key, copied with its button ---------------------------------------------------------
    page.get_by_role("link", name="API keys").click()
    page.fill("#id_name", "MIS sync")
    with page.expect_navigation():
        page.get_by_role("button", name="Create key").click()
    secret = page.locator("#new-api-key").inner_text().strip()
    page.get_by_role("button", name="Copy key").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    assert_accessible(page, "API keys with a new key")

    # --- The college's pages show its logo and colour, with readable text --------------------------------
    learner = browser.new_context(viewport=DESKTOP).new_page()
    with tenant_scope(tenant_a):
        award.refresh_from_db()
        claim, share = links.claim_url(award), f"{base}/s/{award.public_id}/"
        assert "organizationId=1337" in links.linkedin_add_url(award)
    for name, url in [("claim", claim), ("share", share), ("verify", f"{base}/verify/?url={share}")]:
        learner.goto(url)
        brand = learner.locator(".college-brand")
        expect(brand).to_contain_text("College A")
        expect(brand.locator("img")).to_be_visible()
        assert _colour(learner, ".college-brand", "backgroundColor") == "rgb(253, 224, 71)", name
        assert _colour(learner, ".college-brand", "color") == "rgb(17, 24, 39)", name
        assert_accessible(learner, f"{name} page branded")
        _shot(learner, f"branded-{name}")
        learner.set_viewport_size(PHONE)
        assert learner.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
        learner.screenshot(path=str(ARTIFACTS / f"admin-branded-{name}-phone.png"), full_page=True)
        learner.set_viewport_size(DESKTOP)
    learner.context.close()

    # --- On a phone: the staff and API key tables stack, every action still there -------------------------
    with tenant_scope(tenant_a):
        invitation_create(tenant=tenant_a, email="erin@college-a.example", role=Role.ISSUER, actor=alice)
    phone = browser.new_context(viewport=PHONE, storage_state=context.storage_state(), is_mobile=True,
                                has_touch=True)
    mobile = phone.new_page()
    for name, path in [("staff", "staff/"), ("api-keys", "api-keys/"), ("audit", "audit/"), ("settings", "settings/")]:
        mobile.goto(f"{base}/t/college-a/{path}")
        width = mobile.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name} scrolls sideways on a phone ({width}px)"
        assert_accessible(mobile, f"{name} on a phone")
        mobile.screenshot(path=str(ARTIFACTS / f"admin-{name}-phone.png"), full_page=True)
    mobile.goto(f"{base}/t/college-a/staff/")
    invited = mobile.locator("tr", has_text="erin@college-a.example")
    for action in ("Resend the invitation to erin@college-a.example with a new link",
                   "Withdraw the invitation to erin@college-a.example"):
        button = invited.get_by_role("button", name=action)
        button.scroll_into_view_if_needed()
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box is not None
        assert box["x"] >= 0, action
        assert box["x"] + box["width"] <= PHONE["width"], action
    assert _colour(mobile, "table.stack tr", "display") == "block"  # stacked, not a wide table
    mobile.goto(f"{base}/t/college-a/api-keys/")
    revoke = mobile.get_by_role("button", name="Revoke the key MIS sync (" + secret[:11] + "…)")
    expect(revoke).to_be_visible()
    phone.close()
    context.close()


def test_an_invited_tutor_signs_up_from_the_link_with_the_address_proven(live_server, browser, alice, tenant_a,
                                                                        settings):
    settings.PUBLIC_BASE_URL = live_server.url
    with tenant_scope(tenant_a):
        _, url = invitation_create(tenant=tenant_a, email="dana@college-a.example", role=Role.ISSUER, actor=alice)
    emails = OutboxEmail.objects.count()
    for viewport, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page = browser.new_context(viewport=viewport).new_page()
        page.goto(url)
        expect(page.get_by_role("heading", name="Join College A")).to_be_visible()
        expect(page.get_by_label("Email address")).to_have_value("dana@college-a.example")
        expect(page.get_by_label("Email address")).to_have_attribute("readonly", "")
        assert_accessible(page, f"invitation sign-up ({name})")
        page.screenshot(path=str(ARTIFACTS / f"admin-invitation-signup-{name}.png"), full_page=True)
        if name == "desktop":
            page.fill("#id_name", "Dana Scully")
            page.fill("#id_password1", "a-long-pass-phrase-9")
            page.fill("#id_password2", "a-long-pass-phrase-9")
            with page.expect_navigation():
                page.get_by_role("button", name="Create account and join").click()
            expect(page.locator(".messages")).to_contain_text("Welcome to College A.")
            assert page.url == f"{live_server.url}/t/college-a/"
        page.context.close()
    with tenant_scope(tenant_a):
        member = Membership.objects.select_related("user").get(user__email="dana@college-a.example")
        assert Invitation.objects.get(email="dana@college-a.example").accepted_by == member.user
    assert member.user.emailaddress_set.get().verified
    assert OutboxEmail.objects.count() == emails  # no confirmation email: the link proved the address
