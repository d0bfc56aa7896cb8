"""Staff single sign-on through a real OpenID Connect provider (``oidc-provider-mock``, Authlib underneath),
in headless Chromium: domain discovery from the login page, a membership made on first sign-in with the role
the provider's groups map to, the role taken away when the person leaves the group, "SSO required" refusing a
password, another college's address refused, and a replayed or tampered callback refused."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from issuers.models import AuditEntry, Membership, Role
from issuers.scoping import tenant_scope
from tests.support import PASSWORD, make_user
from tests.support.sso import connect_oidc, domains_approve, oidc_person_set, oidc_provider, start_at_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAN = ("dan-sub", {"email": "dan@college-a.example", "email_verified": True, "name": "Dan Tutor",
                   "groups": ["Tutors"]})


@pytest.fixture(autouse=True)
def _loopback(settings):
    settings.VERIFY_ALLOW_PRIVATE_ADDRESSES = True  # the provider runs on this machine


def _authorize_as(page, sub: str) -> None:  # noqa: ANN001
    page.wait_for_url("**/oauth2/authorize**")
    page.get_by_role("button", name=sub).click()


def test_first_sign_in_makes_a_member_with_the_mapped_role_and_leaving_the_group_takes_it(
        live_server, page, tenant_a, alice):
    with oidc_provider(DAN) as issuer:
        connect_oidc(tenant_a, issuer, domains="college-a.example", group_roles="Tutors = issuer\nHeads = admin",
                     actor=alice)
        start_at_login(page, live_server.url, "dan@college-a.example")  # no password: domain discovery
        _authorize_as(page, "dan-sub")
        page.wait_for_url(f"{live_server.url}/t/college-a/**")
        with tenant_scope(tenant_a):
            member = Membership.objects.get(user__email="dan@college-a.example")
            assert member.role == Role.ISSUER
            assert AuditEntry.objects.filter(action="sso.member_create", actor=member.user).exists()

        page.context.clear_cookies()
        oidc_person_set(issuer, "dan-sub", {**DAN[1], "groups": ["Heads"]})
        start_at_login(page, live_server.url, "dan@college-a.example")
        _authorize_as(page, "dan-sub")
        page.wait_for_url(f"{live_server.url}/t/college-a/**")
        with tenant_scope(tenant_a):
            assert Membership.objects.get(pk=member.pk).role == Role.ADMIN

        page.context.clear_cookies()
        oidc_person_set(issuer, "dan-sub", {**DAN[1], "groups": []})  # left every mapped group
        start_at_login(page, live_server.url, "dan@college-a.example")
        _authorize_as(page, "dan-sub")
        page.wait_for_load_state()
        with tenant_scope(tenant_a):
            assert not Membership.objects.filter(pk=member.pk).exists()
            actions = list(AuditEntry.objects.filter(action__startswith="sso.member_").values_list("action",
                                                                                                     flat=True))
            assert actions.count("sso.member_remove") == 1
            assert AuditEntry.objects.filter(action="sso.role_change", data__role="admin").exists()


def test_an_existing_member_signs_in_through_the_provider_and_keeps_one_account(live_server, page, tenant_a, alice,
                                                                                 bob):
    person = ("bob-sub", {"email": bob.email, "email_verified": True, "name": "Bob"})
    with oidc_provider(person) as issuer:
        connect_oidc(tenant_a, issuer, domains="college-a.example", default_role=Role.VIEWER, actor=alice)
        start_at_login(page, live_server.url, bob.email)
        _authorize_as(page, "bob-sub")
        page.wait_for_url(f"{live_server.url}/t/college-a/**")
        with tenant_scope(tenant_a):
            assert Membership.objects.get(user=bob).role == Role.ISSUER  # no groups mapped: his role is the admin's
        assert type(bob).objects.filter(email=bob.email).count() == 1


def test_sso_required_refuses_a_staff_password_with_a_clear_message_but_not_a_learner(live_server, page, tenant_a,
                                                                                         alice, bob):
    learner = make_user("lee@college-a.example")  # a learner with an address in the domain
    with oidc_provider(DAN) as issuer:
        connect_oidc(tenant_a, issuer, domains="college-a.example", require_sso=True, default_role=Role.ISSUER,
                     actor=alice)
        start_at_login(page, live_server.url, bob.email, PASSWORD)
        expect(page.locator("main")).to_contain_text("signs its staff in with its own account system")
        assert "/t/college-a/" not in page.url
        page.goto(f"{live_server.url}/accounts/login/code/")
        page.fill("input[name=email]", bob.email)
        page.locator("main form [type=submit]").click()
        expect(page.locator("main")).to_contain_text("not with a code by email")

        start_at_login(page, live_server.url, learner.email, PASSWORD)
        page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_another_colleges_address_is_not_let_in_by_this_colleges_provider(live_server, page, tenant_a, tenant_b,
                                                                          alice, charlie):
    intruder = ("eve-sub", {"email": charlie.email, "email_verified": True, "groups": ["Heads"]})
    with oidc_provider(intruder) as issuer:
        connect_oidc(tenant_a, issuer, domains="college-a.example", group_roles="Heads = admin", actor=alice)
        # College A's provider (or its admin) asserts College B's admin: started as anyone of College A would
        start_at_login(page, live_server.url, "someone@college-a.example")
        _authorize_as(page, "eve-sub")
        expect(page.locator("main")).to_contain_text("is not an address of College A")
        page.goto(f"{live_server.url}/t/college-b/")
        page.wait_for_url("**/accounts/login/**")  # not signed in as charlie
        with tenant_scope(tenant_a):
            assert not Membership.objects.filter(user=charlie).exists()


def test_a_replayed_or_tampered_callback_is_refused(live_server, page, tenant_a, alice):
    with oidc_provider(DAN) as issuer:
        connect_oidc(tenant_a, issuer, domains="college-a.example", default_role=Role.ISSUER, actor=alice)
        start_at_login(page, live_server.url, "dan@college-a.example")
        page.wait_for_url("**/oauth2/authorize**")
        callbacks: list[str] = []
        page.on("request", lambda r: callbacks.append(r.url) if "/login/callback/" in r.url else None)
        page.get_by_role("button", name="dan-sub").click()
        page.wait_for_url(f"{live_server.url}/t/college-a/**")
        (callback,) = callbacks

        page.context.clear_cookies()
        page.goto(callback)  # the same code and state again, in a new session
        expect(page.locator("main")).to_contain_text("Third-Party Login Failure")
        assert "/t/college-a/" not in page.url

        start_at_login(page, live_server.url, "dan@college-a.example")
        page.wait_for_url("**/oauth2/authorize**")
        # The provider's answer, taken on the way (as an attacker in the middle would), its code altered
        answer = requests.post(page.url, data={"sub": "dan-sub"}, allow_redirects=False, timeout=5)
        fresh = answer.headers["Location"]
        assert "code=" in fresh
        page.goto(fresh.replace("code=", "code=forged"))
        expect(page.locator("main")).to_contain_text("Third-Party Login Failure")
        assert "/t/college-a/" not in page.url


def test_an_unapproved_domain_neither_discovers_nor_signs_in_until_the_platform_approves_it(
        live_server, page, tenant_a, alice):
    with oidc_provider(DAN) as issuer:
        config = connect_oidc(tenant_a, issuer, domains="college-a.example", default_role=Role.ISSUER,
                              actor=alice, approve=False)
        start_at_login(page, live_server.url, "dan@college-a.example")  # no discovery: the password is asked for
        expect(page.locator("main")).to_contain_text("Enter your password")
        assert "/oauth2/authorize" not in page.url

        # The provider's own login URL, gone to directly (a browser without our form-action policy, as an
        # attacker's would be): the provider vouches for Dan, and he is still not let in
        direct = page.context.browser.new_context(bypass_csp=True)
        attacker = direct.new_page()
        attacker.goto(f"{live_server.url}/accounts/oidc/{config.key}/login/")
        attacker.locator("main form [type=submit]").click()
        _authorize_as(attacker, "dan-sub")
        expect(attacker.locator("main")).to_contain_text("is not an address of College A")
        direct.close()
        with tenant_scope(tenant_a):
            assert not Membership.objects.filter(user__email="dan@college-a.example").exists()

        domains_approve(tenant_a)
        page.context.clear_cookies()
        start_at_login(page, live_server.url, "dan@college-a.example")
        _authorize_as(page, "dan-sub")
        page.wait_for_url(f"{live_server.url}/t/college-a/**")
        with tenant_scope(tenant_a):
            assert Membership.objects.get(user__email="dan@college-a.example").role == Role.ISSUER
