"""Real identity providers for the single sign-on tests: ``oidc-provider-mock`` (an OpenID Connect provider
built on Authlib, run in a thread) and pysaml2's IdP; and signing in through them in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import requests
from oidc_provider_mock import User, run_server_in_thread

from issuers.scoping import tenant_scope
from sso import services
from sso.models import EmailDomain


@contextmanager
def oidc_provider(*people: tuple[str, dict]) -> Iterator[str]:
    """A running OpenID Connect provider knowing ``people`` as (subject, claims); yields its issuer URL."""
    users = [User(sub=sub, claims=claims) for sub, claims in people]
    with run_server_in_thread(user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


def oidc_person_set(issuer: str, sub: str, claims: dict) -> None:
    """Change what the provider says about someone (their groups, say), through its own API."""
    answer = requests.put(f"{issuer}/users/{sub}", json=claims, timeout=5)
    assert answer.status_code == 204, answer.text


def domains_approve(tenant) -> None:  # noqa: ANN001
    """The platform approves every domain ``tenant`` claims and waits for (as a superuser does in the console)."""
    with tenant_scope(tenant):
        waiting = list(EmailDomain.objects.filter(status=EmailDomain.Status.WAITING))
    for claim in waiting:
        services.email_domain_decide(claim=claim, approve=True, actor=None)


def connect_oidc(tenant, issuer: str, *, domains: str, require_sso: bool = False, create_members: bool = True,
                 default_role: str = "", group_roles: str = "", actor=None, approve: bool = True):  # noqa: ANN001
    """Connect ``tenant`` to the provider at ``issuer`` with ``domains``, approved by the platform unless not
    ``approve``."""
    with tenant_scope(tenant):
        services.sso_configure_oidc(tenant=tenant, issuer_url=issuer, client_id="badge-platform",
                                    client_secret="s3cret-from-the-provider", actor=actor)
        config = services.sso_policy_update(tenant=tenant, domains=domains, require_sso=require_sso,
                                            create_members=create_members, default_role=default_role,
                                            group_claim="groups", group_roles=group_roles, actor=actor)
    if approve:
        domains_approve(tenant)
    return config


def start_at_login(page, base_url: str, email: str, password: str = "") -> None:  # noqa: ANN001 - a Playwright Page
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", email)
    if password:
        page.fill("input[name=password]", password)
    page.locator("main form [type=submit]").click()


def connect_saml(tenant, idp, base_url: str, *, domains: str, require_sso: bool = False,  # noqa: ANN001
                 create_members: bool = True, default_role: str = "", group_roles: str = "",
                 group_claim: str = "memberOf", actor=None):  # noqa: ANN001
    """Connect ``tenant`` to the pysaml2 IdP by its metadata URL, and let the IdP trust our metadata."""
    with tenant_scope(tenant):
        config = services.sso_configure_saml(tenant=tenant, metadata_url=f"{idp.base}/metadata", actor=actor)
        services.sso_policy_update(tenant=tenant, domains=domains, require_sso=require_sso,
                                   create_members=create_members, default_role=default_role,
                                   group_claim=group_claim, group_roles=group_roles, actor=actor)
    domains_approve(tenant)
    answer = requests.get(f"{base_url}/accounts/saml/{config.key}/metadata/", timeout=10)
    assert answer.status_code == 200, answer.text[:500]
    idp.trust(answer.text)
    return config
