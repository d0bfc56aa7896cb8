"""The one way to issue and revoke a badge. The tutor UI, bulk jobs, the API and the admin call these."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone

from assertions.models import Assertion
from badges.models import BadgeClass
from issuers.models import SigningKey
from issuers.scoping import current_tenant_id
from issuers.services import audit_record, tenant_require_active


def recipient_hash(identity: str, salt: str) -> str:
    """``sha256$`` of the lower-cased identity plus salt, as the reference validator computes it."""
    return "sha256$" + hashlib.sha256((identity.lower() + salt).encode()).hexdigest()


def _clean_identity(identity: str, recipient_type: str) -> str:
    identity = identity.strip()
    if recipient_type == Assertion.RecipientType.EMAIL:
        identity = identity.lower()
        EmailValidator(message=f"{identity!r} is not a valid email address.")(identity)
    elif recipient_type == Assertion.RecipientType.URL:
        URLValidator(message=f"{identity!r} is not a valid URL.")(identity)
    elif recipient_type == Assertion.RecipientType.TELEPHONE:
        if not identity.startswith("+") or not identity[1:].isdigit():
            raise ValidationError("Telephone numbers must be in international form, e.g. +447700900123.")
    else:
        raise ValidationError(f"Unknown recipient type {recipient_type!r}.")
    return identity


@transaction.atomic
def assertion_issue(
    *,
    badge_class: BadgeClass,
    recipient_identity: str,
    recipient_type: str = Assertion.RecipientType.EMAIL,
    recipient_name: str = "",
    issued_on: datetime | None = None,
    expires: datetime | None = None,
    evidence: Sequence[dict[str, str]] = (),
    narrative: str = "",
    verification_type: str | None = None,
    actor: Any = None,
) -> Assertion:
    if badge_class.tenant_id != current_tenant_id():
        raise PermissionDenied("This badge belongs to another college.")
    tenant_require_active(badge_class.tenant)
    if badge_class.retired_at is not None:
        raise ValidationError(f"{badge_class.name} is retired: it can no longer be awarded.")
    identity = _clean_identity(recipient_identity, recipient_type)
    issued_on = issued_on or timezone.now()
    if issued_on > timezone.now() + timedelta(minutes=5):
        raise ValidationError("The issue date cannot be in the future.")
    if expires is None and badge_class.validity_days:
        expires = issued_on + timedelta(days=badge_class.validity_days)
    if expires is not None and expires <= issued_on:
        raise ValidationError("The expiry date must be after the issue date.")
    verification_type = verification_type or badge_class.issuer.default_verification
    signing_key = None
    if verification_type == Assertion.Verification.SIGNED:
        signing_key = SigningKey.objects.filter(issuer=badge_class.issuer, retired_at=None).first()
        if signing_key is None:
            raise ValidationError(f"{badge_class.issuer.name} has no signing key: rotate one in before signing.")
    salt = secrets.token_hex(16)
    assertion = Assertion.objects.create(
        tenant=badge_class.tenant,
        badge_class=badge_class,
        recipient_type=recipient_type,
        recipient_identity=identity,
        recipient_name=recipient_name.strip(),
        recipient_salt=salt,
        recipient_hash=recipient_hash(identity, salt),
        issued_on=issued_on,
        expires=expires,
        evidence=[{k: v for k, v in e.items() if k in {"id", "narrative"} and v} for e in evidence],
        narrative=narrative,
        verification_type=verification_type,
        signing_key=signing_key,
        issued_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(tenant=badge_class.tenant, action="assertion.issue", actor=actor, obj=assertion,
                 summary=f"{badge_class.name} awarded")
    from assertions.tasks import bake_assertion

    transaction.on_commit(lambda: bake_assertion.delay(tenant_id=assertion.tenant_id, assertion_id=assertion.pk))
    return assertion


@transaction.atomic
def assertion_revoke(*, assertion: Assertion, reason: str, actor: Any = None) -> Assertion:
    if assertion.tenant_id != current_tenant_id():
        raise PermissionDenied("This award belongs to another college.")
    if not reason.strip():
        raise ValidationError("Give a reason: learners and employers see it.")
    if assertion.revoked:
        return assertion
    assertion.revoked = True
    assertion.revocation_reason = reason.strip()[:300]
    assertion.revoked_at = timezone.now()
    assertion.save(update_fields=["revoked", "revocation_reason", "revoked_at", "updated_at"])
    audit_record(tenant=assertion.tenant, action="assertion.revoke", actor=actor, obj=assertion, summary=reason[:200])
    return assertion
