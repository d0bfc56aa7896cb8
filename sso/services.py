"""Writes of single sign-on (README "Staff single sign-on"): a college connects its identity provider, says
which email domains it owns and how sign-ins become memberships; each sign-in then creates or updates the
member's role from the provider's groups. Every change is audited with it.

Nothing here talks to a browser: allauth runs the OpenID Connect and SAML protocols (``sso.adapter`` gives
it each college's provider), and calls ``sso_signed_in`` once the provider has vouched for the person.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from issuers.context import ActorLike
from issuers.keys import RSA_KEY_BITS, decrypt_secret, encrypt_secret
from issuers.models import Membership, Role, Tenant
from issuers.scoping import tenant_scope
from issuers.services import audit_record
from sso import selectors
from sso.models import EmailDomain, Protocol, SingleSignOn
from verification.fetch import FetchError, fetch

logger = logging.getLogger(__name__)

# Addresses anyone can get: no college owns these, so none may send them to its identity provider.
PUBLIC_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "live.com", "live.co.uk",
    "msn.com", "yahoo.com", "yahoo.co.uk", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com",
    "proton.me", "protonmail.com", "gmx.com", "gmx.de", "mail.com", "btinternet.com", "sky.com",
    "virginmedia.com", "talktalk.net", "zoho.com", "yandex.com", "qq.com",
})
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
ROLE_RANK = {Role.ADMIN: 3, Role.ISSUER: 2, Role.VIEWER: 1}
METADATA_MAX_BYTES = 1024 * 1024


# --- checks of what an admin types -------------------------------------------------------------------

def domains_check(raw: str | Iterable[str], *, tenant: Tenant) -> list[str]:
    """The domains as a clean list: each a real domain, no public mail service, none another college's."""
    items = re.split(r"[\s,;]+", raw) if isinstance(raw, str) else list(raw)
    domains = list(dict.fromkeys(d.strip().lower().lstrip("@").rstrip(".") for d in items if d.strip()))
    for domain in domains:
        if not DOMAIN.match(domain):
            raise ValidationError(f"{domain!r} is not an email domain (write it as college.ac.uk).")
        if domain in PUBLIC_MAIL_DOMAINS:
            raise ValidationError(f"{domain} is a public mail service: anyone can have an address there, so no "
                                  "college can sign it in.")
    taken = selectors.domains_taken(domains, by_other_than=tenant)
    if taken:
        raise ValidationError(f"{taken[0]} is already approved for another college's single sign-on. If it is "
                              "yours, ask the platform's support to move it.")
    return domains


def group_roles_check(raw: str | Sequence[Sequence[str]]) -> list[list[str]]:
    """``group = role`` lines (or pairs) as ``[[group, role], ...]``; a role is admin, issuer or viewer."""
    pairs: list[tuple[str, str]] = []
    if isinstance(raw, str):
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            group, sep, role = line.rpartition("=")
            if not sep or not group.strip():
                raise ValidationError(f"Line {number}: write a group, then '=', then a role (admin, issuer or "
                                      f"viewer), e.g. 'Tutors = issuer'.")
            pairs.append((group.strip(), role.strip().lower()))
    else:
        pairs = [(str(p[0]).strip(), str(p[1]).strip().lower()) for p in raw]
    for group, role in pairs:
        if role not in Role.values:
            raise ValidationError(f"{role!r} (for {group}) is not a role: use admin, issuer or viewer.")
        if len(group) > 200:
            raise ValidationError("A group name is at most 200 characters.")
    return [[group, role] for group, role in dict(pairs).items()]


def _https_url(url: str, what: str) -> str:
    from django.conf import settings

    url = (url or "").strip()
    parts = urlsplit(url)
    plain_allowed = settings.VERIFY_ALLOW_PRIVATE_ADDRESSES  # tests and closed networks, as the verifier
    if parts.scheme != "https" and not (plain_allowed and parts.scheme == "http"):
        raise ValidationError(f"The {what} must be an https:// URL.")
    if not parts.hostname or parts.username or parts.password:
        raise ValidationError(f"The {what} needs a host name, and no user name or password in it.")
    return url


def oidc_issuer_check(issuer_url: str) -> str:
    """The issuer as its discovery document names it, fetched now through the verifier's safe fetcher, so a
    typing mistake is found when the admin saves and not when the first tutor signs in."""
    issuer = _https_url(issuer_url, "issuer URL").removesuffix("/.well-known/openid-configuration")
    try:
        found = fetch(issuer.rstrip("/") + "/.well-known/openid-configuration", accept="application/json",
                      max_bytes=256 * 1024)
        document = json.loads(found.body) if found.status == 200 else None
    except (FetchError, ValueError) as exc:
        raise ValidationError(f"Could not read the provider's OpenID configuration: {exc}") from exc
    if not isinstance(document, dict):
        raise ValidationError(f"The issuer URL does not serve an OpenID configuration (HTTP {found.status}).")
    missing = [k for k in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri") if not document.get(k)]
    if missing:
        raise ValidationError(f"The provider's OpenID configuration lacks {', '.join(missing)}.")
    if str(document["issuer"]).rstrip("/") != issuer.rstrip("/"):
        raise ValidationError(f"The provider calls itself {document['issuer']}: use that as the issuer URL.")
    return str(document["issuer"])


def saml_metadata_load(*, url: str = "", xml: str = "") -> tuple[str, dict[str, Any]]:
    """The identity provider's metadata (fetched safely from ``url``, or as pasted) and what we use of it:
    entity id, single sign-on URL (HTTP-Redirect) and signing certificate."""
    from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

    if url:
        try:
            found = fetch(_https_url(url, "metadata URL"), accept="application/samlmetadata+xml, application/xml",
                          max_bytes=METADATA_MAX_BYTES)
        except FetchError as exc:
            raise ValidationError(f"Could not fetch the metadata: {exc}") from exc
        if found.status != 200:
            raise ValidationError(f"The metadata URL answered HTTP {found.status}.")
        xml = found.body.decode("utf-8", "replace")
    xml = (xml or "").strip()
    if not xml:
        raise ValidationError("Give the identity provider's metadata URL or paste its metadata XML.")
    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(xml)
    except Exception as exc:  # the parser raises bare Exceptions and lxml's own for bad XML  # noqa: BLE001
        raise ValidationError(f"That is not SAML metadata: {exc}") from exc
    idp = parsed.get("idp") or {}
    cert = idp.get("x509cert") or next(iter((idp.get("x509certMulti") or {}).get("signing", [])), "")
    sso_url = (idp.get("singleSignOnService") or {}).get("url", "")
    if not idp.get("entityId") or not sso_url:
        raise ValidationError("The metadata names no identity provider with a single sign-on service.")
    if not cert:
        raise ValidationError("The metadata has no signing certificate: responses could not be checked.")
    return xml, {"entity_id": idp["entityId"], "sso_url": sso_url, "x509cert": cert}


def _sp_key_pair() -> tuple[str, bytes]:
    """Our service provider's certificate (self-signed, ten years; identity providers trust it by metadata)
    and its private key encrypted at rest."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Badge Platform single sign-on")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650)).sign(key, hashes.SHA256()))
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), encrypt_secret(private_pem)


def sp_private_key(config: SingleSignOn) -> str:
    return decrypt_secret(config.saml_sp_private_key_encrypted or b"").decode()


def oidc_secret(config: SingleSignOn) -> str:
    return decrypt_secret(config.oidc_secret_encrypted).decode() if config.oidc_secret_encrypted else ""


# --- the admin's settings ----------------------------------------------------------------------------

def _config_for_change(tenant: Tenant, protocol: str) -> SingleSignOn:
    config = SingleSignOn.objects.select_for_update().filter(tenant=tenant).first()
    if config is None:
        config = SingleSignOn(tenant=tenant, key=f"c-{secrets.token_hex(6)}", protocol=protocol)
    return config


@transaction.atomic
def sso_configure_oidc(*, tenant: Tenant, issuer_url: str, client_id: str, client_secret: str = "",
                       actor: ActorLike = None) -> SingleSignOn:
    """Connect (or change) the college's OpenID Connect provider. An empty ``client_secret`` keeps the
    stored one (the form never shows it back)."""
    issuer = oidc_issuer_check(issuer_url)
    client_id = (client_id or "").strip()
    if not client_id or len(client_id) > 200:
        raise ValidationError("Give the client id (application id) the provider gave you.")
    config = _config_for_change(tenant, Protocol.OIDC)
    if not client_secret and (config.protocol != Protocol.OIDC or not config.oidc_secret_encrypted):
        raise ValidationError("Give the client secret the provider gave you.")
    config.protocol, config.oidc_issuer, config.oidc_client_id = Protocol.OIDC, issuer, client_id
    if client_secret:
        config.oidc_secret_encrypted = encrypt_secret(client_secret.strip().encode())
    config.saml_metadata_url = config.saml_metadata_xml = config.saml_idp_entity_id = ""
    config.updated_at = timezone.now()
    config.save()
    audit_record(tenant=tenant, action="sso.configure", actor=actor, obj=config,
                 summary=f"Single sign-on through OpenID Connect provider {issuer}",
                 data={"protocol": "oidc", "issuer": issuer, "client_id": client_id,
                       "secret_changed": bool(client_secret)})
    return config


@transaction.atomic
def sso_configure_saml(*, tenant: Tenant, metadata_url: str = "", metadata_xml: str = "",
                       actor: ActorLike = None) -> SingleSignOn:
    """Connect (or change) the college's SAML 2.0 identity provider, from its metadata URL or XML. Our own
    key pair (for signing requests) is made once and kept across changes."""
    xml, idp = saml_metadata_load(url=(metadata_url or "").strip(), xml=metadata_xml)
    config = _config_for_change(tenant, Protocol.SAML)
    config.protocol = Protocol.SAML
    config.saml_metadata_url, config.saml_metadata_xml = (metadata_url or "").strip(), xml
    config.saml_idp_entity_id = idp["entity_id"]
    if not config.saml_sp_private_key_encrypted:
        config.saml_sp_certificate, config.saml_sp_private_key_encrypted = _sp_key_pair()
    config.oidc_issuer = config.oidc_client_id = ""
    config.oidc_secret_encrypted = None
    config.updated_at = timezone.now()
    config.save()
    audit_record(tenant=tenant, action="sso.configure", actor=actor, obj=config,
                 summary=f"Single sign-on through SAML identity provider {idp['entity_id']}",
                 data={"protocol": "saml", "entity_id": idp["entity_id"], "metadata_url": config.saml_metadata_url})
    return config


@transaction.atomic
def sso_policy_update(*, tenant: Tenant, domains: str | Iterable[str], require_sso: bool, create_members: bool,
                      default_role: str, group_claim: str, group_roles: str | Sequence[Sequence[str]],
                      actor: ActorLike = None) -> SingleSignOn:
    """Which addresses the provider signs in, whether staff must use it, and what a sign-in makes them."""
    config = SingleSignOn.objects.select_for_update().filter(tenant=tenant).first()
    if config is None:
        raise ValidationError("Connect your identity provider first.")
    clean_domains = domains_check(domains, tenant=tenant)
    if (require_sso or create_members) and not clean_domains:
        raise ValidationError("Give the email domains your staff's addresses are in.")
    if default_role and default_role not in Role.values:
        raise ValidationError(f"Unknown role {default_role!r}.")
    mapping = group_roles_check(group_roles)
    if create_members and not default_role and not mapping:
        raise ValidationError("To create memberships on first sign-in, choose a default role or map groups to roles.")
    before = {"domains": selectors.domains_of(tenant), "require_sso": config.require_sso,
              "create_members": config.create_members, "default_role": config.default_role,
              "group_claim": config.group_claim, "group_roles": config.group_roles}
    config.require_sso, config.create_members, config.default_role = require_sso, create_members, default_role
    config.group_claim = (group_claim or "").strip()[:200] or "groups"
    config.group_roles, config.updated_at = mapping, timezone.now()
    config.save()
    EmailDomain.objects.filter(tenant=tenant).exclude(domain__in=clean_domains).delete()
    try:
        with transaction.atomic():
            for domain in clean_domains:
                EmailDomain.objects.get_or_create(tenant=tenant, domain=domain)
    except IntegrityError as exc:  # another college took it a moment ago
        raise ValidationError("One of those domains was just connected to another college.") from exc
    after = {"domains": clean_domains, "require_sso": require_sso, "create_members": create_members,
             "default_role": default_role, "group_claim": config.group_claim, "group_roles": mapping}
    changed = {k: after[k] for k in after if after[k] != before[k]}
    if changed:
        audit_record(tenant=tenant, action="sso.policy", actor=actor, obj=config,
                     summary="Single sign-on rules changed: " + ", ".join(sorted(changed)), data=changed)
    return config


@transaction.atomic
def email_domain_decide(*, claim: EmailDomain, approve: bool, actor: ActorLike = None) -> EmailDomain:
    """The platform approves a college's claim to an email domain (its identity provider then signs in addresses
    there, and "SSO required" applies to them), or refuses it. Platform staff only (the console checks)."""
    tenant = claim.tenant
    with tenant_scope(tenant):
        locked = EmailDomain.objects.select_for_update().filter(pk=claim.pk).first()
        if locked is None:
            raise ValidationError("That claim is no longer there: the college changed its domains.")
        if approve and selectors.domains_taken([locked.domain], by_other_than=tenant):
            raise ValidationError(f"{locked.domain} is already approved for another college.")
        locked.status = EmailDomain.Status.APPROVED if approve else EmailDomain.Status.REFUSED
        locked.decided_at = timezone.now()
        try:
            with transaction.atomic():
                locked.save(update_fields=["status", "decided_at"])
        except IntegrityError as exc:  # approved for another college a moment ago
            raise ValidationError(f"{locked.domain} is already approved for another college.") from exc
        verb = "approved" if approve else "refused"
        audit_record(tenant=tenant, action=f"sso.domain_{'approve' if approve else 'refuse'}", actor=actor,
                     obj=locked, summary=f"The platform {verb} {tenant.name}'s claim to {locked.domain}",
                     data={"domain": locked.domain})
    return locked


@transaction.atomic
def sso_remove(*, tenant: Tenant, actor: ActorLike = None) -> None:
    """Disconnect the identity provider: staff sign in with passwords or codes again."""
    config = SingleSignOn.objects.filter(tenant=tenant).first()
    if config is None:
        return
    EmailDomain.objects.filter(tenant=tenant).delete()
    audit_record(tenant=tenant, action="sso.remove", actor=actor, obj=config, summary="Single sign-on disconnected")
    config.delete()


# --- a sign-in ----------------------------------------------------------------------------------------

def role_for(config: SingleSignOn, groups: Iterable[str]) -> str:
    """The role the provider's groups give (the highest of the mapped ones), else the default role; '' for none."""
    held = set(groups)
    mapped = [role for group, role in config.group_roles if group in held]
    if mapped:
        return max(mapped, key=lambda r: ROLE_RANK.get(Role(r), 0))
    return config.default_role or ""


def _last_admin(membership: Membership) -> bool:
    return (membership.role == Role.ADMIN
            and not Membership.objects.filter(role=Role.ADMIN).exclude(pk=membership.pk).exists())


@transaction.atomic
def sso_signed_in(*, config: SingleSignOn, user: User, groups: Sequence[str]) -> Membership | None:
    """The identity provider has vouched for ``user`` (in the college's tenant context): create the membership
    on a first sign-in when the college allows it, and, where groups are mapped to roles, give the role the
    groups give now, so leaving a group takes its role away at the next sign-in (a member in no mapped group and
    with no default role is removed). The last admin is never demoted or removed this way."""
    tenant = config.tenant
    role = role_for(config, groups)
    membership = Membership.objects.select_for_update().filter(user=user).first()
    data = {"groups": list(groups)[:50], "role": role}
    if membership is None:
        if not config.create_members or not role:
            return None
        membership = Membership.objects.create(tenant=tenant, user=user, role=role)
        audit_record(tenant=tenant, action="sso.member_create", actor=user, obj=user,
                     summary=f"{user} joined as {role} on first single sign-on", data=data)
        return membership
    if not config.group_roles or role == membership.role:
        return membership
    if _last_admin(membership):
        logger.warning("Single sign-on left %s admin of %s: the college's only admin", user.pk, tenant.slug)
        return membership
    if not role:
        audit_record(tenant=tenant, action="sso.member_remove", actor=user, obj=user,
                     summary=f"{user} removed: in none of the mapped groups at single sign-on", data=data)
        membership.delete()
        return None
    audit_record(tenant=tenant, action="sso.role_change", actor=user, obj=user,
                 summary=f"{user} is now {role} (was {membership.role}), from the identity provider's groups",
                 data={**data, "was": membership.role})
    membership.role = role
    membership.save(update_fields=["role"])
    return membership
