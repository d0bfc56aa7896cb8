"""Reads of single sign-on: a college's own configuration, and which college an address or provider belongs to."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from accounts.selectors import user_by_verified_email
from issuers.models import Membership, Tenant
from issuers.scoping import unscoped
from sso.models import EmailDomain, SingleSignOn


def domain_of(email: str) -> str:
    return (email or "").strip().rpartition("@")[2].strip().lower().rstrip(".")


def config_of(tenant: Tenant) -> SingleSignOn | None:
    """The college's own configuration (inside its tenant scope)."""
    return SingleSignOn.objects.filter(tenant=tenant).first()


def domains_of(tenant: Tenant) -> list[str]:
    """Every domain the college has claimed, approved or not (what its admin typed)."""
    return list(EmailDomain.objects.filter(tenant=tenant).values_list("domain", flat=True))


def domain_claims_of(tenant: Tenant) -> list[EmailDomain]:
    """The college's claims with where each stands (its settings page)."""
    return list(EmailDomain.objects.filter(tenant=tenant))


def domain_claims_waiting() -> list[EmailDomain]:
    """Every college's claims waiting for the platform's decision, oldest first, each with the college (console)."""
    with unscoped("platform console: every college's email domain claims waiting for approval"):
        return list(EmailDomain.objects.select_related("tenant").filter(status=EmailDomain.Status.WAITING)
                    .order_by("claimed_at", "domain"))


def domain_claim(public_id: str) -> EmailDomain | None:
    """One claim by its id, with its college (console)."""
    with unscoped("platform console: one email domain claim the platform decides on"):
        return EmailDomain.objects.select_related("tenant").filter(public_id=public_id).first()


def config_by_key(key: str) -> SingleSignOn | None:
    """The configuration behind an allauth provider URL (``/accounts/oidc/<key>/...``), with its college."""
    with unscoped("sign-in: the identity provider's key in the URL names the college"):
        return SingleSignOn.objects.select_related("tenant").filter(key=key).first()


def config_for_email(email: str) -> SingleSignOn | None:
    """The college whose identity provider signs in ``email`` (domain discovery), if any."""
    domain = domain_of(email)
    if not domain:
        return None
    with unscoped("sign-in: an address's domain names the college whose identity provider signs it in"):
        found = (EmailDomain.objects.filter(domain=domain, status=EmailDomain.Status.APPROVED)
                 .values_list("tenant_id", flat=True).first())
        if found is None:
            return None
        return SingleSignOn.objects.select_related("tenant").filter(tenant_id=found).first()


def configs(*, protocol: str | None = None, key: str | None = None) -> list[SingleSignOn]:
    """Every college's configuration of ``protocol`` (allauth asks for the apps of a provider by id)."""
    with unscoped("sign-in: allauth looks up the identity provider of a login URL among every college's"):
        found = SingleSignOn.objects.select_related("tenant")
        if protocol:
            found = found.filter(protocol=protocol)
        if key:
            found = found.filter(key=key)
        return list(found)


def domains_by_tenant(tenant_ids: list[int]) -> dict[int, list[str]]:
    with unscoped("sign-in: the domains whose addresses a college's identity provider may vouch for"):
        result: dict[int, list[str]] = {}
        approved = EmailDomain.objects.filter(tenant_id__in=tenant_ids, status=EmailDomain.Status.APPROVED)
        for tenant_id, domain in approved.values_list("tenant_id", "domain"):
            result.setdefault(tenant_id, []).append(domain)
        return result


def groups_in(config: SingleSignOn, data: Any) -> list[str]:
    """The groups the identity provider says the person is in: the configured claim (OpenID Connect: in the
    userinfo answer or the ID token) or attribute (SAML: all its values)."""
    claim = config.group_claim or "groups"
    values: list[Any] = []
    if isinstance(data, dict):
        for part in (data.get("userinfo"), data.get("id_token"), data):
            if isinstance(part, dict) and claim in part:
                raw = part[claim]
                values = raw if isinstance(raw, list) else [raw]
                break
    return [str(v).strip() for v in values if isinstance(v, str | int) and str(v).strip()]


def domains_taken(domains: list[str], *, by_other_than: Tenant) -> list[str]:
    """Which of ``domains`` the platform has approved for another college already."""
    with unscoped("an email domain belongs to one college at most: checking the others' when an admin adds one"):
        return list(EmailDomain.objects.filter(domain__in=domains, status=EmailDomain.Status.APPROVED)
                    .exclude(tenant=by_other_than)
                    .values_list("domain", flat=True))


def password_refusal(email: str) -> str:
    """Why ``email`` may not sign in with a password or an emailed code ('' when it may): its college requires
    single sign-on and the account is on that college's staff. Learners with an address there are unaffected."""
    config = config_for_email(email)
    if config is None or not config.require_sso:
        return ""
    user = user_by_verified_email(email=email) or User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        return ""
    with unscoped("sign-in: is this account on the staff of the college that requires single sign-on"):
        staff = Membership.objects.filter(tenant_id=config.tenant_id, user=user).exists()
    if not staff:
        return ""
    return (f"{config.tenant.name} signs its staff in with its own account system (single sign-on), not with a "
            f"password here. Choose \"Sign in with my college account\" and use your {config.tenant.name} sign-in.")


def domains_of_config(config: SingleSignOn) -> list[str]:
    """The approved domains whose addresses the college's identity provider may sign in."""
    return domains_by_tenant([config.tenant_id]).get(config.tenant_id, [])
