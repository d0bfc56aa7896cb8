"""Staff single sign-on through a real SAML 2.0 identity provider (pysaml2's IdP, signing with xmlsec1), in
headless Chromium: domain discovery, a membership made on first sign-in with the role the memberOf attribute
maps to, the role taken away on leaving the group, another college's address refused, and a replayed or
tampered response refused."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from issuers.models import AuditEntry, Membership, Role
from issuers.scoping import tenant_scope
from tests.support.saml_idp import saml_idp
from tests.support.sso import connect_saml, start_at_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _loopback(settings):
    settings.VERIFY_ALLOW_PRIVATE_ADDRESSES = True  # the identity provider runs on this machine


def _refused(page) -> None:  # noqa: ANN001
    """allauth's "Third-Party Login Failure" (a response it cannot check), or ours for one no sign-in of this
    browser is waiting for; either way nobody is signed in."""
    expect(page.locator("main")).to_contain_text(re.compile("Third-Party Login Failure|already used"))
    assert "/t/college-a/" not in page.url
    page.goto(page.url.split("/accounts/")[0] + "/t/college-a/")
    page.wait_for_url("**/accounts/login/**")


def _through_idp(page) -> None:  # noqa: ANN001
    page.wait_for_url("**/sso?**")
    page.get_by_role("button", name="Continue").click()


def test_first_sign_in_makes_a_member_with_the_mapped_role_and_leaving_the_group_takes_it(
        live_server, page, tenant_a, alice):
    with saml_idp() as idp:
        connect_saml(tenant_a, idp, live_server.url, domains="college-a.example",
                     group_roles="Tutors = issuer\nHeads = admin", actor=alice)
        idp.person = ("dan@college-a.example", {"memberOf": ["Tutors"], "givenName": ["Dan"]})
        start_at_login(page, live_server.url, "dan@college-a.example")
        _through_idp(page)
        page.wait_for_url(f"{live_server.url}/t/college-a/**")
        with tenant_scope(tenant_a):
            member = Membership.objects.get(user__email="dan@college-a.example")
            assert member.role == Role.ISSUER
            assert AuditEntry.objects.filter(action="sso.member_create", actor=member.user).exists()

        page.context.clear_cookies()
        idp.person = ("dan@college-a.example", {"memberOf": []})
        start_at_login(page, live_server.url, "dan@college-a.example")
        _through_idp(page)
        page.wait_for_load_state()
        with tenant_scope(tenant_a):
            assert not Membership.objects.filter(pk=member.pk).exists()
            assert AuditEntry.objects.filter(action="sso.member_remove").count() == 1


def test_another_colleges_address_is_not_let_in(live_server, page, tenant_a, tenant_b, alice, charlie):
    with saml_idp() as idp:
        connect_saml(tenant_a, idp, live_server.url, domains="college-a.example", group_roles="Heads = admin",
                     actor=alice)
        idp.person = (charlie.email, {"memberOf": ["Heads"]})
        start_at_login(page, live_server.url, "someone@college-a.example")
        _through_idp(page)
        expect(page.locator("main")).to_contain_text("is not an address of College A")
        with tenant_scope(tenant_a):
            assert not Membership.objects.filter(user=charlie).exists()


def test_a_replayed_or_tampered_response_is_refused(live_server, page, tenant_a, alice):
    with saml_idp() as idp:
        connect_saml(tenant_a, idp, live_server.url, domains="college-a.example", default_role=Role.VIEWER,
                     actor=alice)
        idp.person = ("dan@college-a.example", {"memberOf": []})
        start_at_login(page, live_server.url, "dan@college-a.example")
        _through_idp(page)
        page.wait_for_url(f"{live_server.url}/t/college-a/**")

        page.context.clear_cookies()
        page.goto(f"{idp.base}/again")  # the same signed response, posted again
        page.get_by_role("button", name="Continue").click()
        expect(page.locator("main")).to_contain_text("already used, or was not asked for by this browser")
        _refused(page)

        start_at_login(page, live_server.url, "dan@college-a.example")
        page.wait_for_url("**/sso?**")  # a fresh response for this session, changed on the way
        idp.pending = idp.tampered("dan@college-a.example", "alice@college-a.example")
        page.goto(f"{idp.base}/again")
        page.get_by_role("button", name="Continue").click()
        _refused(page)
        with tenant_scope(tenant_a):
            assert not AuditEntry.objects.filter(actor__email="alice@college-a.example",
                                                 action__startswith="sso.member").exists()
