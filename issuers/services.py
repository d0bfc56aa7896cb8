"""Writes for tenants, staff, API keys, issuers and their signing keys.

Views, the admin, management commands and the API all call these functions; each one writes its
audit entry in the same transaction as the change.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts import selectors as account_selectors
from accounts.services import user_create_verified
from issuers import audit, keys
from issuers.context import Actor, ActorLike, acting
from issuers.keycache import api_keys_changed
from issuers.models import (
    ApiKey,
    AuditEntry,
    Invitation,
    Issuer,
    Membership,
    Role,
    SigningKey,
    Tenant,
    validate_timezone,
)
from issuers.outbox import email_cancel, link_email_queue, link_email_resend, link_token_new
from issuers.registry import Registry
from issuers.rows import row_maker
from issuers.scoping import current_tenant_id, tenant_scope
from issuers.selectors import API_KEY_PREFIX, hash_secret

User = get_user_model()

# The public-document cache lives in a higher layer (verification registers it in its AppConfig), so
# the layers below tell it that published documents changed without importing it.
PUBLICATION_LISTENERS: Registry[Callable[..., None]] = Registry("told that public documents changed")
# The check every uploaded image goes through, owned by badges (PNG or SVG, sanitised: the badge image
# rules), so a college's logo passes exactly the checks of a badge image: (bytes) -> (kind, safe bytes),
# raising ValueError with the reason.
IMAGE_CHECKS: Registry[Callable[[bytes], tuple[str, bytes]]] = Registry("checks an uploaded image")


def publication_notify(**public_ids: Any) -> None:
    """Every service that changes what a public document shows calls this inside its transaction, with
    ``issuer_id=``/``badge_class_id=``/``assertion_ids=`` (public ids), ``issuer_keys_id=`` when it
    rotated one of the issuer's keys (its DID document lists every key), or ``endorser_id=`` when an
    endorser's profile is deleted."""
    for listener in PUBLICATION_LISTENERS:
        listener(**public_ids)


def audit_record(
    *,
    tenant: Tenant,
    action: str,
    actor: ActorLike = None,
    actor_label: str = "",
    obj: Any = None,
    label: str = "",
    learner: str = "",
    badge: Any = None,
    summary: str = "",
    data: dict | None = None,
) -> AuditEntry:
    """One entry, labelled by ``Actor.label`` of ``actor``, or of the tenant context's actor when the caller
    names none (``actor_label`` only for someone outside the college, such as an endorser). It names
    ``obj`` by ``label``, else its ``audit_label`` or ``name``; an award (``obj`` with a
    ``recipient_identity``) names its learner masked and its badge class, as ``learner`` and ``badge``
    would (``issuers.audit`` turns the entry into a sentence)."""
    who, values = _audit_values(action=action, actor=actor, actor_label=actor_label, obj=obj, label=label,
                                learner=learner, badge=badge, summary=summary, data=data)
    return AuditEntry.objects.create(tenant=tenant, actor=who.user, **values)


def audit_entry_new(
    *,
    tenant: Tenant,
    action: str,
    actor: ActorLike = None,
    actor_label: str = "",
    obj: Any = None,
    label: str = "",
    learner: str = "",
    badge: Any = None,
    summary: str = "",
    data: dict | None = None,
) -> AuditEntry:
    """The entry ``audit_record`` writes, unsaved, for a service that stores it with its other rows
    (``issuers.rows.RowWrites``: an award's five rows in one statement) once it has checked the tenant."""
    who, values = _audit_values(action=action, actor=actor, actor_label=actor_label, obj=obj, label=label,
                                learner=learner, badge=badge, summary=summary, data=data)
    return _AUDIT_ENTRIES.new(tenant_id=tenant.pk, actor_id=who.user.pk if who.user is not None else None, **values)


def _audit_values(*, action: str, actor: ActorLike, actor_label: str, obj: Any, label: str, learner: str, badge: Any,
                  summary: str, data: dict | None) -> tuple[Actor, dict[str, Any]]:
    who = acting(actor)
    learner = learner or str(getattr(obj, "recipient_identity", "") or "")
    badge = badge if badge is not None else getattr(obj, "badge_class", None)
    return who, {
        "actor_label": actor_label or who.label,
        "action": action,
        "object_type": type(obj).__name__ if obj is not None else "",
        "object_id": str(getattr(obj, "public_id", getattr(obj, "pk", ""))) if obj is not None else "",
        "object_label": (label or _audit_label(obj))[:200],
        "learner": audit.mask(learner)[:200],
        "badge": getattr(badge, "public_id", None),
        "summary": summary[:300],
        "data": data or {},
    }


_AUDIT_ENTRIES = row_maker(AuditEntry)


def _audit_label(obj: Any) -> str:
    if obj is None:
        return ""
    if hasattr(obj, "audit_label"):
        return str(obj.audit_label)
    if hasattr(obj, "recipient_identity"):  # an award: named by its badge, never by the learner's address
        return str(getattr(obj, "badge_class", "") or "")
    return str(getattr(obj, "name", "") or obj)


# --- Tenants ----------------------------------------------------------------------------------


@dataclass
class TenantSetup:
    tenant: Tenant
    created: bool
    admin: Any
    invitation_url: str | None


@transaction.atomic
def tenant_create(
    *, slug: str, name: str, admin_email: str, admin_password: str | None = None, timezone_name: str = "",
    first_issuer: bool = False, actor: ActorLike = None,
) -> TenantSetup:
    """Create the tenant and its first admin, or return the existing one (idempotent). The one way a
    college is made: the platform console, ``manage.py createtenant`` and the Django admin call it.

    With ``admin_password`` the admin account is created ready to log in; without it, an
    existing account becomes admin directly and a new address gets an invitation (through the outbox).
    ``first_issuer`` also makes the college's first issuer profile (named after it, with its signing key)
    when it has none, so the first admin can award at once; ``timezone_name`` is what its dates mean.
    """
    defaults: dict[str, Any] = {"name": name, "contact_email": admin_email}
    if timezone_name:
        validate_timezone(timezone_name)
        defaults["timezone"] = timezone_name
    tenant = Tenant(slug=slug, **defaults)
    tenant.full_clean(exclude=["slug"] if Tenant.objects.filter(slug=slug).exists() else None)
    tenant, created = Tenant.objects.get_or_create(slug=slug, defaults=defaults)
    admin_email = admin_email.strip().lower()
    invitation_url = None
    with tenant_scope(tenant):
        if created:
            audit_record(tenant=tenant, action="tenant.create", actor=actor, obj=tenant, summary=f"Tenant {name}")
        # Only an account that proved the address becomes admin directly: an unverified copy of it on
        # someone else's account gets nothing, and the real owner an invitation.
        user = account_selectors.user_by_verified_email(email=admin_email)
        if user is None and admin_password:
            user = user_create_verified(email=admin_email, password=admin_password)
        if user is not None:
            _, made = Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": Role.ADMIN})
            if made:
                audit_record(
                    tenant=tenant, action="membership.create", actor=actor, obj=user, summary=f"{user} is admin",
                    data={"role": Role.ADMIN.value},
                )
        else:
            pending = Invitation.objects.filter(email__iexact=admin_email, accepted_at=None, revoked_at=None)
            if not any(i.is_usable for i in pending):
                _, invitation_url = invitation_create(email=admin_email, role=Role.ADMIN, actor=actor, tenant=tenant)
        if first_issuer and not Issuer.objects.exists():
            issuer_create(tenant=tenant, name=tenant.name, url=settings.PUBLIC_BASE_URL, email=admin_email,
                          actor=actor)
    return TenantSetup(tenant=tenant, created=created, admin=user, invitation_url=invitation_url)


@transaction.atomic
def tenant_set_status(*, tenant: Tenant, status: str, reason: str = "", actor: ActorLike = None) -> Tenant:
    """Suspend or re-activate a college. The reason is kept on it: its staff see it on every page, and a
    suspended college's refused writes say it."""
    if status not in Tenant.Status.values:
        raise ValidationError(f"Unknown status {status!r}.")
    reason = reason.strip()[:300]
    tenant.status, tenant.status_reason, tenant.status_changed_at = status, reason, timezone.now()
    tenant.save(update_fields=["status", "status_reason", "status_changed_at"])
    api_keys_changed()  # a suspended college's API writes are refused by the key check
    with tenant_scope(tenant):
        audit_record(tenant=tenant, action=f"tenant.{status}", actor=actor, obj=tenant, summary=reason,
                     data={"reason": reason} if reason else None)
    return tenant


@transaction.atomic
def tenant_set_limits(*, tenant: Tenant, badges_per_month: int | None, learners_per_year: int | None,
                      actor: ActorLike = None) -> Tenant:
    """The college's optional plan limits (None: no limit), which the issuing service enforces."""
    for value in (badges_per_month, learners_per_year):
        if value is not None and value < 0:
            raise ValidationError("A limit cannot be negative.")
    tenant.limit_badges_per_month, tenant.limit_learners_per_year = badges_per_month, learners_per_year
    tenant.save(update_fields=["limit_badges_per_month", "limit_learners_per_year"])
    api_keys_changed()  # the API's awards read the limits from the tenant the key check gives
    with tenant_scope(tenant):
        audit_record(tenant=tenant, action="tenant.limits", actor=actor, obj=tenant,
                     data={"badges_per_month": badges_per_month, "learners_per_year": learners_per_year},
                     summary=f"Limits: {badges_per_month or 'no limit'} badges a month, "
                             f"{learners_per_year or 'no limit'} learners a year")
    return tenant


def image_check(data: bytes) -> tuple[str, bytes]:
    """("png" | "svg", bytes safe to store) for an uploaded image, or ValidationError with the reason."""
    checks = list(IMAGE_CHECKS)
    if not checks:
        raise ImproperlyConfigured("No image check is registered (badges' AppConfig.ready registers it).")
    try:
        for check in checks:
            kind, data = check(data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    return kind, data


@transaction.atomic
def tenant_update(*, tenant: Tenant, changes: dict[str, Any], logo: bytes | None = None, remove_logo: bool = False,
                  actor: ActorLike = None) -> Tenant:
    """Change a college's settings; ``logo`` (an uploaded file's bytes) passes the badge image checks first.
    A colour is paired with a readable text colour wherever it is shown (``issuers.branding``)."""
    if tenant.pk != current_tenant_id():
        raise PermissionDenied("These are another college's settings.")
    tenant_require_active(tenant)
    for name, value in changes.items():
        setattr(tenant, name, value)
    changed = sorted(changes)
    if logo is not None:
        kind, safe = image_check(logo)
        if tenant.logo:
            tenant.logo.delete(save=False)
        tenant.logo.save(f"{tenant.slug}-logo.{kind}", ContentFile(safe), save=False)
        changed.append("logo")
    elif remove_logo and tenant.logo:
        tenant.logo.delete(save=False)
        changed.append("logo")
    tenant.full_clean()
    tenant.save()
    api_keys_changed()  # the API's calls use the tenant the key check gives (its time zone, its name)
    audit_record(tenant=tenant, action="tenant.update", actor=actor, obj=tenant, data={"changed": changed})
    return tenant


def tenant_require_active(tenant: Tenant) -> None:
    """Services that write for a tenant on their own (tasks) call this; web and API writes of a
    suspended tenant are refused earlier, by ``TenantScopeMiddleware``."""
    if not tenant.is_active:
        raise PermissionDenied(f"{tenant.name} is suspended: nothing can be issued or revoked until it is "
                               "re-activated.")


# --- Staff ------------------------------------------------------------------------------------


def invitation_url(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/invitations/{token}/"


@transaction.atomic
def invitation_create(*, tenant: Tenant, email: str, role: str, actor: ActorLike = None) -> tuple[Invitation, str]:
    """Invite ``email`` as staff. Returns the invitation and its one-time link (sent by email).

    The email is queued once the invitation is committed; if the broker is down the invitation stays
    pending and the sweep sends it (with a new link) later (see ``issuers.outbox``)."""
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}.")
    email = email.strip().lower()
    owner = account_selectors.user_by_verified_email(email=email)
    if owner is not None and Membership.objects.filter(user=owner).exists():
        raise ValidationError(f"{email} is already a member of {tenant.name}.")
    token, token_hash = link_token_new()
    invitation = Invitation.objects.create(
        tenant=tenant,
        email=email,
        role=role,
        token_hash=token_hash,
        invited_by=acting(actor).user,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    audit_record(
        tenant=tenant, action="invitation.create", actor=actor, obj=invitation, summary=f"Invited {email} as {role}"
    )
    link_email_queue(invitation, token)
    return invitation, invitation_url(token)


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor: ActorLike) -> str:
    """Send the invitation again with a new link, valid for the full period; the earlier link stops working
    (only its hash was kept, so it cannot be sent again). Returns the new link."""
    if invitation.tenant_id != current_tenant_id():
        raise PermissionDenied("This invitation belongs to another college.")
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise ValidationError("This invitation has already been used or withdrawn.")
    token = link_email_resend(invitation,
                              expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS))
    audit_record(tenant=invitation.tenant, action="invitation.resend", actor=actor, obj=invitation,
                 summary=f"Invitation sent again to {invitation.email} with a new link")
    return invitation_url(token)


def invitation_by_token(token: str) -> Invitation | None:
    from issuers.scoping import unscoped

    with unscoped("an invitation link names its tenant by its secret token"):
        return Invitation.objects.select_related("tenant").filter(token_hash=hash_secret(token)).first()


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: Any) -> Membership:
    """Make ``user`` a member. The link works once, before it expires, for the invited address."""
    if not invitation.is_usable:
        raise ValidationError("This invitation has expired or has already been used.")
    if not account_selectors.user_has_verified_email(user=user, email=invitation.email):
        raise ValidationError(
            f"This invitation was sent to {invitation.email}. Log in with that address (and verify it) to accept it."
        )
    tenant = invitation.tenant
    if not tenant.is_active:
        raise ValidationError(tenant.suspended_message)
    with tenant_scope(tenant):
        updated = Invitation.objects.filter(pk=invitation.pk, accepted_at=None).update(
            accepted_at=timezone.now(), accepted_by=user
        )
        if updated != 1:  # accepted concurrently
            raise ValidationError("This invitation has already been used.")
        membership, _ = Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": invitation.role})
        audit_record(tenant=tenant, action="invitation.accept", actor=user, obj=invitation, summary=f"{user} joined")
    return membership


@transaction.atomic
def invitation_signup(*, invitation: Invitation, password: str, name: str = "") -> Membership:
    """A new member of staff with no account signs up from the invitation link and joins. The link went to
    the invited address, so opening it proves the address (as a claim link does): the account is made with
    it verified, and no confirmation email follows."""
    if not invitation.is_usable:
        raise ValidationError("This invitation has expired or has already been used.")
    if account_selectors.user_by_verified_email(email=invitation.email) is not None:
        raise ValidationError(f"{invitation.email} already has an account: log in to accept the invitation.")
    user = user_create_verified(email=invitation.email, password=password, name=name)
    return invitation_accept(invitation=invitation, user=user)


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: ActorLike) -> None:
    """Withdraw an invitation: its link stops working, and its email, if no worker has taken it yet, is
    dropped from the outbox (a task already queued for it then finds nothing to send)."""
    if invitation.tenant_id != current_tenant_id():
        raise PermissionDenied("This invitation belongs to another college.")
    invitation.revoked_at = timezone.now()
    fields = ["revoked_at"]
    if email_cancel(invitation.mail):
        invitation.mail = None
        fields.append("mail")
    invitation.save(update_fields=fields)
    audit_record(tenant=invitation.tenant, action="invitation.revoke", actor=actor, obj=invitation)


def _ensure_another_admin(membership: Membership) -> None:
    if (
        membership.role == Role.ADMIN
        and not Membership.objects.filter(role=Role.ADMIN).exclude(pk=membership.pk).exists()
    ):
        raise ValidationError("A tenant needs at least one admin: make someone else admin first.")


@transaction.atomic
def membership_update(
    *, membership: Membership, role: str, issuer_ids: list[int] | None = None, actor: ActorLike
) -> Membership:
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}.")
    if role != Role.ADMIN:
        _ensure_another_admin(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    if issuer_ids is not None:
        membership.issuers.set(Issuer.objects.filter(pk__in=issuer_ids))
    audit_record(
        tenant=membership.tenant,
        action="membership.update",
        actor=actor,
        obj=membership.user,
        summary=f"{membership.user} is now {role}",
        data={"issuers": issuer_ids or [], "role": role},
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: ActorLike) -> None:
    _ensure_another_admin(membership)
    audit_record(
        tenant=membership.tenant,
        action="membership.remove",
        actor=actor,
        obj=membership.user,
        summary=f"{membership.user} removed",
    )
    membership.delete()


# --- API keys ---------------------------------------------------------------------------------


@transaction.atomic
def api_key_create(*, tenant: Tenant, name: str, actor: ActorLike = None) -> tuple[ApiKey, str]:
    """A new key; the secret is returned once and only its hash is stored."""
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        tenant=tenant,
        name=name or "API key",
        prefix=secret[: len(API_KEY_PREFIX) + 8],
        key_hash=hash_secret(secret),
        created_by=acting(actor).user,
    )
    audit_record(tenant=tenant, action="api_key.create", actor=actor, obj=key, summary=f"API key {key.prefix}… created")
    return key, secret


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor: ActorLike) -> None:
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    api_keys_changed()
    audit_record(
        tenant=key.tenant, action="api_key.revoke", actor=actor, obj=key, summary=f"API key {key.prefix}… revoked"
    )


# --- Issuers and signing keys -----------------------------------------------------------------


@transaction.atomic
def issuer_create(
    *,
    tenant: Tenant,
    name: str,
    url: str,
    email: str,
    description: str = "",
    default_verification: str = Issuer.Verification.HOSTED,
    actor: ActorLike = None,
) -> Issuer:
    issuer = Issuer(
        tenant=tenant,
        name=name,
        url=url,
        email=email,
        description=description,
        default_verification=default_verification,
    )
    issuer.full_clean(exclude=["tenant", "image"])
    issuer.save()
    signing_key_create(issuer=issuer)
    audit_record(tenant=tenant, action="issuer.create", actor=actor, obj=issuer, summary=f"Issuer {name}")
    return issuer


ISSUER_EDITABLE_FIELDS = {"name", "url", "email", "description", "default_verification"}


@transaction.atomic
def issuer_update(*, issuer: Issuer, actor: ActorLike = None, **changes: Any) -> Issuer:
    if issuer.tenant_id != current_tenant_id():
        raise ValidationError("This issuer belongs to another college.")
    unknown = set(changes) - ISSUER_EDITABLE_FIELDS
    if unknown:
        raise ValidationError(f"Cannot change {', '.join(sorted(unknown))}.")
    changed = sorted(k for k, v in changes.items() if getattr(issuer, k) != v)
    if not changed:
        return issuer
    for key in changed:
        setattr(issuer, key, changes[key])
    issuer.full_clean(exclude=["tenant", "image"])
    issuer.save()
    audit_record(tenant=issuer.tenant, action="issuer.update", actor=actor, obj=issuer, data={"changed": changed})
    publication_notify(issuer_id=issuer.public_id)
    return issuer


@transaction.atomic
def signing_key_create(*, issuer: Issuer) -> SigningKey:
    """Add a key that signs from now on; earlier keys are retired but stay published."""
    public_pem, encrypted = keys.generate_key_pair()
    now = timezone.now()
    SigningKey.objects.filter(issuer=issuer, retired_at=None).update(retired_at=now)
    return SigningKey.objects.create(
        tenant=issuer.tenant, issuer=issuer, public_key_pem=public_pem, private_key_encrypted=encrypted
    )


@transaction.atomic
def signing_key_rotate(*, issuer: Issuer, actor: ActorLike) -> SigningKey:
    key = signing_key_create(issuer=issuer)
    publication_notify(issuer_keys_id=issuer.public_id)  # the issuer's profile and DID document list it
    audit_record(
        tenant=issuer.tenant, action="signing_key.rotate", actor=actor, obj=key, summary=f"New key for {issuer}"
    )
    return key
