"""In headless Chromium at desktop and phone sizes: a college admin connects an OpenID Connect provider (a real
one, ``oidc-provider-mock``) from Settings and sets the rules; the login page a tutor sees. Screenshots, axe."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from issuers.scoping import tenant_scope
from sso import selectors
from tests.browser.support import ARTIFACTS, log_in, look_at_both_sizes
from tests.support import PASSWORD, totp_code
from tests.support.sso import connect_oidc, oidc_provider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = ARTIFACTS / "sso"


@pytest.fixture(autouse=True)
def _loopback(settings):
    settings.VERIFY_ALLOW_PRIVATE_ADDRESSES = True


def test_an_admin_connects_an_openid_connect_provider_and_sets_the_rules(live_server, page, tenant_a, alice):
    page.goto(f"{live_server.url}/accounts/login/")
    look_at_both_sizes(page, "login", Path(SHOTS))
    page.fill("input[name=login]", alice.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form [type=submit]").click()
    page.wait_for_url(f"{live_server.url}/t/college-a/**")
    page.goto(f"{live_server.url}/t/college-a/settings/")
    page.get_by_role("link", name="Single sign-on").click()
    expect(page.get_by_role("heading", name="Single sign-on for your staff")).to_be_visible()
    look_at_both_sizes(page, "settings-empty", Path(SHOTS))

    with oidc_provider() as issuer:
        page.get_by_label("Issuer URL").fill(issuer)
        page.get_by_label("Client id").fill("badge-platform")
        page.get_by_label("Client secret").fill("s3cret-from-the-provider")
        page.get_by_role("button", name="Save OpenID Connect provider").click()
        expect(page.locator(".messages")).to_contain_text("OpenID Connect provider connected")
    expect(page.locator("#sso-redirect-uri")).to_contain_text("/accounts/oidc/")
    page.get_by_label("Email domains your college owns").fill("college-a.example")
    page.get_by_label("Require single sign-on for our staff").check()
    page.get_by_label("Create memberships on first sign-in").check()
    page.get_by_label("Default role").select_option("viewer")
    page.get_by_label("Groups and their roles").fill("Tutors = issuer\nHeads = admin")
    page.get_by_role("button", name="Save single sign-on rules").click()
    expect(page.locator(".messages")).to_contain_text("Single sign-on rules saved")
    expect(page.locator(".domain-claims")).to_contain_text("college-a.example: waiting for approval by the platform")
    look_at_both_sizes(page, "settings-connected", Path(SHOTS))
    with tenant_scope(tenant_a):
        config = selectors.config_of(tenant_a)
        assert config.require_sso
        assert config.create_members
        assert config.default_role == "viewer"
        assert config.group_roles == [["Tutors", "issuer"], ["Heads", "admin"]]

    page.get_by_label("Email domains your college owns").fill("gmail.com")
    page.get_by_role("button", name="Save single sign-on rules").click()
    expect(page.locator("main")).to_contain_text("public mail service")


def test_an_admin_connects_a_saml_identity_provider_from_its_metadata_url(live_server, page, tenant_a, alice):
    from tests.support.saml_idp import saml_idp

    log_in(page, live_server.url, alice.email, lands_on="/t/college-a/**")
    page.goto(f"{live_server.url}/t/college-a/settings/single-sign-on/")
    page.locator("summary", has_text="SAML 2.0 identity provider").click()
    with saml_idp() as idp:
        page.get_by_label("Metadata URL").fill(f"{idp.base}/metadata")
        page.get_by_role("button", name="Save SAML identity provider").click()
        expect(page.locator(".messages")).to_contain_text("SAML identity provider connected")
    expect(page.locator("#sso-sp-metadata")).to_contain_text("/accounts/saml/")
    expect(page.locator("#sso-acs")).to_contain_text("/acs/")
    look_at_both_sizes(page, "settings-saml", Path(SHOTS))


def test_platform_staff_approve_a_colleges_domain_in_the_console_and_the_college_sees_it(
        live_server, browser, tenant_a, tenant_b, alice, charlie, platform_admin):
    with oidc_provider() as issuer:
        connect_oidc(tenant_a, issuer, domains="college-a.example", default_role="viewer", actor=alice,
                     approve=False)
        connect_oidc(tenant_b, issuer, domains="college-b.example", default_role="viewer", actor=charlie,
                     approve=False)
    console = browser.new_page()
    console.goto(f"{live_server.url}/accounts/login/")
    console.fill("input[name=login]", platform_admin.email)
    console.fill("input[name=password]", PASSWORD)
    with console.expect_navigation():
        console.locator("main form [type=submit]").click()
    console.fill("input[name=code]", totp_code(platform_admin))
    with console.expect_navigation():
        console.get_by_role("button", name="Sign In").click()
    console.goto(f"{live_server.url}/platform/")
    console.get_by_role("link", name="Email domains").click()
    rows = console.locator("tr.domain-claim")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="college-a.example")).to_contain_text("College A")
    look_at_both_sizes(console, "console-domains", Path(SHOTS))
    console.get_by_role("button", name="Approve college-a.example for College A").click()
    expect(console.locator(".messages")).to_contain_text("college-a.example approved for College A")
    console.get_by_role("button", name="Refuse college-b.example for College B").click()
    expect(console.locator("main")).to_contain_text("None waiting")
    console.close()
    assert selectors.config_for_email("x@college-a.example").tenant == tenant_a
    assert selectors.config_for_email("x@college-b.example") is None

    page = browser.new_page()
    log_in(page, live_server.url, alice.email, lands_on="/t/college-a/**")
    page.goto(f"{live_server.url}/t/college-a/settings/single-sign-on/")
    expect(page.locator(".domain-claims")).to_contain_text("college-a.example: approved")
    look_at_both_sizes(page, "settings-approved", Path(SHOTS))
    page.close()
