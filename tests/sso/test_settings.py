"""The college admin's single sign-on settings: what a provider and the rules must be, secrets encrypted at rest,
every change audited, and the page refused to everyone but the college's admins."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from issuers.models import AuditEntry, Role
from issuers.scoping import tenant_scope
from sso import selectors, services
from sso.models import SingleSignOn
from tests.support import make_user
from tests.support.sso import connect_oidc, oidc_provider

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loopback(settings):
    settings.VERIFY_ALLOW_PRIVATE_ADDRESSES = True


def test_connecting_a_provider_stores_its_secret_encrypted_and_audits_each_change(tenant_a, alice):
    with oidc_provider() as issuer:
        config = connect_oidc(tenant_a, issuer, domains="College-A.example, staff.college-a.example",
                              default_role=Role.ISSUER, group_roles="Heads = admin", actor=alice)
    with tenant_scope(tenant_a):
        stored = SingleSignOn.objects.get(pk=config.pk)
        assert b"s3cret-from-the-provider" not in bytes(stored.oidc_secret_encrypted)
        assert services.oidc_secret(stored) == "s3cret-from-the-provider"
        assert sorted(selectors.domains_of(tenant_a)) == ["college-a.example", "staff.college-a.example"]
        assert stored.group_roles == [["Heads", "admin"]]
        actions = set(AuditEntry.objects.values_list("action", flat=True))
        assert {"sso.configure", "sso.policy"} <= actions
        services.sso_remove(tenant=tenant_a, actor=alice)
        assert selectors.config_of(tenant_a) is None
        assert selectors.domains_of(tenant_a) == []
        assert AuditEntry.objects.filter(action="sso.remove").exists()


def test_an_issuer_url_that_serves_no_openid_configuration_is_refused_with_the_reason(tenant_a, alice):
    with oidc_provider() as issuer, tenant_scope(tenant_a):
        with pytest.raises(ValidationError, match="OpenID configuration"):
            services.sso_configure_oidc(tenant=tenant_a, issuer_url=issuer + "/nothing-here", client_id="x",
                                        client_secret="y", actor=alice)
        with pytest.raises(ValidationError, match="client secret"):
            services.sso_configure_oidc(tenant=tenant_a, issuer_url=issuer, client_id="x", client_secret="",
                                        actor=alice)


def test_a_domain_is_one_colleges_and_public_mail_services_are_nobodys(tenant_a, tenant_b, alice, charlie):
    with oidc_provider() as issuer:
        connect_oidc(tenant_a, issuer, domains="college-a.example", default_role=Role.VIEWER, actor=alice)
        with pytest.raises(ValidationError, match="another college"):
            connect_oidc(tenant_b, issuer, domains="college-a.example", default_role=Role.VIEWER, actor=charlie)
        with pytest.raises(ValidationError, match="public mail service"):
            connect_oidc(tenant_b, issuer, domains="gmail.com", default_role=Role.VIEWER, actor=charlie)
        with pytest.raises(ValidationError, match="not an email domain"):
            connect_oidc(tenant_b, issuer, domains="not a domain", default_role=Role.VIEWER, actor=charlie)
    assert selectors.config_for_email("someone@COLLEGE-A.example").tenant == tenant_a
    assert selectors.config_for_email("someone@college-b.example") is None


def test_group_lines_must_name_a_role():
    assert services.group_roles_check("Tutors = issuer\n\nHeads of Dept = ADMIN") == [
        ["Tutors", "issuer"], ["Heads of Dept", "admin"]]
    with pytest.raises(ValidationError, match="not a role"):
        services.group_roles_check("Tutors = boss")
    with pytest.raises(ValidationError, match="Line 1"):
        services.group_roles_check("Tutors")


def test_the_highest_mapped_role_wins_and_no_mapped_group_falls_back_to_the_default(tenant_a):
    config = SingleSignOn(tenant=tenant_a, group_roles=[["Staff", "viewer"], ["Heads", "admin"]],
                          default_role="issuer")
    assert services.role_for(config, ["Staff", "Heads"]) == "admin"
    assert services.role_for(config, ["Other"]) == "issuer"


def test_only_the_colleges_admins_see_the_page_and_a_bad_issuer_gets_a_message_not_a_500(
        client, tenant_a, tenant_b, alice, bob, charlie):
    url = reverse("sso:settings", args=[tenant_a.slug])
    client.force_login(bob)  # an issuer of College A
    assert client.get(url).status_code == 404
    client.force_login(charlie)  # College B's admin
    assert client.get(url).status_code == 404
    assert client.post(url, {"form": "remove"}).status_code == 404
    client.force_login(alice)
    assert client.get(url).status_code == 200
    answer = client.post(url, {"form": "oidc", "oidc-issuer_url": "ftp://nowhere", "oidc-client_id": "x",
                               "oidc-client_secret": "y"})
    assert answer.status_code == 200
    assert b"must be an https:// URL" in answer.content
    answer = client.post(url, {"form": "saml", "saml-metadata_xml": "<not-metadata/>"})
    assert answer.status_code == 200
    assert b"names no identity provider" in answer.content


def test_a_learner_with_an_address_in_the_domain_keeps_password_login_when_sso_is_required(tenant_a, alice, bob):
    learner = make_user("lee@college-a.example")
    with oidc_provider() as issuer:
        connect_oidc(tenant_a, issuer, domains="college-a.example", require_sso=True, default_role=Role.ISSUER,
                     actor=alice)
    assert selectors.password_refusal(learner.email) == ""
    assert "single sign-on" in selectors.password_refusal(bob.email)


def test_a_saml_provider_is_read_from_its_metadata_and_our_key_is_encrypted_at_rest(tenant_a, alice):
    from tests.support.saml_idp import saml_idp

    with saml_idp() as idp, tenant_scope(tenant_a):
        config = services.sso_configure_saml(tenant=tenant_a, metadata_url=f"{idp.base}/metadata", actor=alice)
        assert config.saml_idp_entity_id == f"{idp.base}/metadata"
        key = services.sp_private_key(config)
        assert key.startswith("-----BEGIN PRIVATE KEY-----")
        assert b"PRIVATE KEY" not in bytes(SingleSignOn.objects.get(pk=config.pk).saml_sp_private_key_encrypted)
        again = services.sso_configure_saml(tenant=tenant_a, metadata_xml=idp.metadata(), actor=alice)
        assert services.sp_private_key(again) == key  # the key stays across changes: the IdP keeps trusting it
        assert AuditEntry.objects.filter(action="sso.configure", data__protocol="saml").count() == 2
        with pytest.raises(ValidationError, match="metadata URL answered HTTP 404"):
            services.sso_configure_saml(tenant=tenant_a, metadata_url=f"{idp.base}/nothing", actor=alice)
