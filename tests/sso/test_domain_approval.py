"""A college's claim to an email domain does nothing until the platform approves it in the console: no domain
discovery, no "SSO required", no sign-in through its identity provider for addresses there; approved, it works,
and no other college can claim it. Only platform staff decide."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from issuers import audit
from issuers.models import AuditEntry, Role
from issuers.scoping import tenant_scope
from sso import selectors, services
from sso.models import EmailDomain
from tests.support.sso import connect_oidc, oidc_provider

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loopback(settings):
    settings.VERIFY_ALLOW_PRIVATE_ADDRESSES = True


def _claim(tenant, domain: str) -> EmailDomain:  # noqa: ANN001
    with tenant_scope(tenant):
        return EmailDomain.objects.get(domain=domain)


def test_a_claimed_domain_does_nothing_until_the_platform_approves_it_in_the_console(
        client, tenant_a, alice, bob, platform_admin):
    with oidc_provider() as issuer:
        connect_oidc(tenant_a, issuer, domains="college-a.example", require_sso=True, default_role=Role.ISSUER,
                     actor=alice, approve=False)
    assert selectors.config_for_email("dan@college-a.example") is None  # no discovery
    assert selectors.password_refusal(bob.email) == ""  # no "SSO required"
    config = selectors.config_by_key(selectors.configs()[0].key)
    assert selectors.domains_of_config(config) == []  # its provider vouches for nobody
    answer = client.post(reverse("account_login"), {"login": "dan@college-a.example", "password": ""})
    assert answer.status_code == 200
    assert b"Enter your password" in answer.content

    client.force_login(alice)
    page = client.get(reverse("sso:settings", args=[tenant_a.slug]))
    assert b"college-a.example</strong>: <span class=\"domain-waiting\">waiting for approval by the platform" \
        in page.content

    client.force_login(platform_admin)
    listing = client.get(reverse("console:domains"))
    assert b"college-a.example" in listing.content
    assert b"College A" in listing.content
    claim = _claim(tenant_a, "college-a.example")
    answer = client.post(reverse("console:domain_decide", args=[claim.public_id]), {"decision": "approve"})
    assert answer.status_code == 302
    listing = client.get(reverse("console:domains"))
    assert b"college-a.example approved for College A" in listing.content
    assert b"None waiting" in listing.content
    assert selectors.config_for_email("dan@college-a.example").tenant == tenant_a
    assert "single sign-on" in selectors.password_refusal(bob.email)
    with tenant_scope(tenant_a):
        entry = AuditEntry.objects.get(action="sso.domain_approve")
        assert entry.actor == platform_admin
        assert entry.data == {"domain": "college-a.example"}
        assert audit.sentence(entry) == ("approved the college's claim to the email domain college-a.example for "
                                         "single sign-on (platform)")

    client.force_login(alice)
    assert b"<span class=\"domain-approved\">approved" in client.get(
        reverse("sso:settings", args=[tenant_a.slug])).content


def test_changing_the_domains_puts_new_ones_back_to_waiting_and_keeps_the_approved(tenant_a, alice):
    with oidc_provider() as issuer:
        connect_oidc(tenant_a, issuer, domains="college-a.example", default_role=Role.VIEWER, actor=alice)
        with tenant_scope(tenant_a):
            services.sso_policy_update(tenant=tenant_a, domains="college-a.example staff.college-a.example",
                                       require_sso=False, create_members=True, default_role=Role.VIEWER,
                                       group_claim="groups", group_roles="", actor=alice)
    assert _claim(tenant_a, "college-a.example").status == EmailDomain.Status.APPROVED
    assert _claim(tenant_a, "staff.college-a.example").status == EmailDomain.Status.WAITING
    assert selectors.config_for_email("x@staff.college-a.example") is None
    assert selectors.config_for_email("x@college-a.example") is not None


def test_a_refused_claim_stays_inert_and_is_audited(client, tenant_a, alice, platform_admin):
    with oidc_provider() as issuer:
        connect_oidc(tenant_a, issuer, domains="college-a.example", default_role=Role.VIEWER, actor=alice,
                     approve=False)
    claim = _claim(tenant_a, "college-a.example")
    client.force_login(platform_admin)
    client.post(reverse("console:domain_decide", args=[claim.public_id]), {"decision": "refuse"})
    assert _claim(tenant_a, "college-a.example").status == EmailDomain.Status.REFUSED
    assert selectors.config_for_email("x@college-a.example") is None
    with tenant_scope(tenant_a):
        assert AuditEntry.objects.filter(action="sso.domain_refuse", actor=platform_admin).exists()


def test_another_college_cannot_claim_or_be_approved_for_an_approved_domain(tenant_a, tenant_b, alice, charlie):
    with oidc_provider() as issuer:
        # College B claims College A's domain first (a hostile admin): it waits, and does nothing
        connect_oidc(tenant_b, issuer, domains="college-a.example", default_role=Role.VIEWER, actor=charlie,
                     approve=False)
        connect_oidc(tenant_a, issuer, domains="college-a.example", default_role=Role.VIEWER, actor=alice)
        assert selectors.config_for_email("x@college-a.example").tenant == tenant_a
        with pytest.raises(ValidationError, match="already approved for another college"):
            services.email_domain_decide(claim=_claim(tenant_b, "college-a.example"), approve=True)
        with pytest.raises(ValidationError, match="another college"):
            connect_oidc(tenant_b, issuer, domains="college-a.example", default_role=Role.VIEWER, actor=charlie)
    assert selectors.config_for_email("x@college-a.example").tenant == tenant_a


def test_no_one_but_platform_staff_decides_a_claim(client, tenant_a, alice, bob, charlie):
    with oidc_provider() as issuer:
        connect_oidc(tenant_a, issuer, domains="college-a.example", default_role=Role.VIEWER, actor=alice,
                     approve=False)
    claim = _claim(tenant_a, "college-a.example")
    url = reverse("console:domain_decide", args=[claim.public_id])
    for who in (alice, bob, charlie):  # the college's own admin included
        client.force_login(who)
        assert client.get(reverse("console:domains")).status_code == 403
        assert client.post(url, {"decision": "approve"}).status_code == 403
    client.logout()
    assert client.post(url, {"decision": "approve"}).status_code == 302  # to the login page
    assert _claim(tenant_a, "college-a.example").status == EmailDomain.Status.WAITING
    assert selectors.config_for_email("x@college-a.example") is None


def test_an_unknown_claim_is_404_for_platform_staff(client, platform_admin):
    client.force_login(platform_admin)
    url = reverse("console:domain_decide", args=["00000000-0000-4000-8000-000000000000"])
    assert client.post(url, {"decision": "approve"}).status_code == 404
