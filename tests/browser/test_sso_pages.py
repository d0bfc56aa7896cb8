"""In headless Chromium at desktop and phone sizes: a college admin connects an OpenID Connect provider (a real
one, ``oidc-provider-mock``) from Settings and sets the rules; the login page a tutor sees. Screenshots, axe."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from issuers.scoping import tenant_scope
from sso import selectors
from tests.browser.support import ARTIFACTS, look_at_both_sizes
from tests.support import PASSWORD
from tests.support.sso import oidc_provider

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

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", alice.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form [type=submit]").click()
    page.wait_for_url(f"{live_server.url}/t/college-a/**")
    page.goto(f"{live_server.url}/t/college-a/settings/single-sign-on/")
    page.locator("summary", has_text="SAML 2.0 identity provider").click()
    with saml_idp() as idp:
        page.get_by_label("Metadata URL").fill(f"{idp.base}/metadata")
        page.get_by_role("button", name="Save SAML identity provider").click()
        expect(page.locator(".messages")).to_contain_text("SAML identity provider connected")
    expect(page.locator("#sso-sp-metadata")).to_contain_text("/accounts/saml/")
    expect(page.locator("#sso-acs")).to_contain_text("/acs/")
    look_at_both_sizes(page, "settings-saml", Path(SHOTS))
