"""Asking an outside organisation to endorse a badge class, its profile, publishing and withdrawing."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from badges.models import BadgeClass
from endorsements.models import Endorsement, EndorsementRequest, EndorserProfile
from issuers.context import Actor, ActorLike
from issuers.outbox import email_cancel, link_email_queue, link_email_resend, link_token_new
from issuers.scoping import current_tenant_id, tenant_scope, unscoped
from issuers.selectors import hash_secret
from issuers.services import audit_record, publication_notify

REQUEST_VALID_DAYS = 30
MAX_LOGO_BYTES = 1024 * 1024


def endorsement_request_url(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/endorse/{token}/"


@transaction.atomic
def endorsement_request_create(*, badge_class: BadgeClass, email: str, message: str = "",
                               actor: ActorLike = None) -> tuple[EndorsementRequest, str]:
    """Invite ``email`` to endorse ``badge_class``. Returns the request and its one-time link.

    The email is queued once the request is committed; if the broker is down the request stays pending
    and the sweep sends it (with a new link) later (see ``issuers.outbox``)."""
    if badge_class.tenant_id != current_tenant_id():
        raise PermissionDenied("This badge belongs to another college.")
    if badge_class.retired_at is not None:
        raise ValidationError(f"{badge_class.name} is retired: ask for endorsement of its current version.")
    email = email.strip().lower()
    token, token_hash = link_token_new()
    request = EndorsementRequest.objects.create(
        tenant=badge_class.tenant, badge_class=badge_class, email=email, message=message.strip()[:2000],
        token_hash=token_hash, invited_by=Actor.of(actor).user,
        expires_at=timezone.now() + timedelta(days=REQUEST_VALID_DAYS),
    )
    audit_record(tenant=badge_class.tenant, action="endorsement.request", actor=actor, obj=request,
                 summary=f"Asked {email} to endorse {badge_class.name}")
    link_email_queue(request, token)
    return request, endorsement_request_url(token)


@transaction.atomic
def endorsement_request_resend(*, request: EndorsementRequest, actor: ActorLike) -> str:
    """Send the request again with a new link, valid for the full period; the earlier link stops working
    (only its hash was kept, so it cannot be sent again). Returns the new link."""
    if request.tenant_id != current_tenant_id():
        raise PermissionDenied("This request belongs to another college.")
    if request.accepted_at is not None or request.revoked_at is not None:
        raise ValidationError("This request has already been answered or withdrawn.")
    token = link_email_resend(request, expires_at=timezone.now() + timedelta(days=REQUEST_VALID_DAYS))
    audit_record(tenant=request.tenant, action="endorsement.request_resend", actor=actor, obj=request,
                 summary=f"Request sent again to {request.email} with a new link")
    return endorsement_request_url(token)


@transaction.atomic
def endorsement_request_revoke(*, request: EndorsementRequest, actor: ActorLike) -> None:
    """Withdraw a request not yet answered: its link stops working."""
    if request.tenant_id != current_tenant_id():
        raise PermissionDenied("This request belongs to another college.")
    if not request.is_usable:
        return
    request.revoked_at = timezone.now()
    fields = ["revoked_at"]
    if email_cancel(request.mail):  # not taken by a worker yet: the withdrawn link is never sent
        request.mail = None
        fields.append("mail")
    request.save(update_fields=fields)
    audit_record(tenant=request.tenant, action="endorsement.request_revoke", actor=actor, obj=request,
                 summary=f"Withdrew the request to {request.email}")


def endorsement_request_by_token(token: str) -> EndorsementRequest | None:
    with unscoped("an endorsement link names its tenant by its secret token"):
        return (EndorsementRequest.objects.select_related("tenant", "badge_class__issuer")
                .filter(token_hash=hash_secret(token)).first())


def _clean_logo(data: bytes) -> bytes:
    """Untrusted: PNG or JPEG only, bounded, re-encoded as PNG (drops metadata and anything hidden)."""
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationError("The logo must be under 1 MB.")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format not in {"PNG", "JPEG"}:
                raise ValidationError("The logo must be a PNG or JPEG image.")
            if img.width > 2000 or img.height > 2000 or img.width < 32 or img.height < 32:
                raise ValidationError("The logo must be between 32 and 2000 pixels on each side.")
            img.load()
            out = io.BytesIO()
            img.convert("RGBA").save(out, "PNG")
            return out.getvalue()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationError("The logo is not a readable image.") from None


@transaction.atomic
def endorser_profile_save(*, user: Any, name: str, url: str, email: str, description: str = "",
                          logo: bytes | None = None) -> EndorserProfile:
    profile = EndorserProfile.objects.filter(owner=user).first() or EndorserProfile(owner=user)
    profile.name, profile.url, profile.email, profile.description = name.strip(), url.strip(), email.strip(), \
        description.strip()
    profile.full_clean(exclude=["owner", "logo"])
    if logo:
        profile.logo.save(f"{profile.public_id}.png", ContentFile(_clean_logo(logo)), save=False)
    profile.save()
    with unscoped("an endorser's profile change republishes its endorsements of every college"):
        badge_ids = list(Endorsement.objects.filter(endorser=profile).values_list("badge_class__public_id", flat=True))
    for badge_id in badge_ids:  # each drops the badge's documents now and again on commit
        publication_notify(badge_class_id=badge_id)
    return profile


@transaction.atomic
def endorsement_publish(*, request: EndorsementRequest, user: Any, comment: str) -> Endorsement:
    """The endorser's answer. Only someone who has proven the invited address may publish it."""
    if not request.is_usable:
        raise ValidationError("This endorsement link has expired or has already been used.")
    if not request.tenant.is_active:
        raise ValidationError(request.tenant.suspended_message)
    if not EmailAddress.objects.filter(user=user, email__iexact=request.email, verified=True).exists():
        raise ValidationError(f"This request was sent to {request.email}. Sign in with that address (and verify "
                              "it) to answer it.")
    profile = EndorserProfile.objects.filter(owner=user).first()
    if profile is None:
        raise ValidationError("Set up your organisation's public profile first.")
    if not comment.strip():
        raise ValidationError("Write a few words about why you endorse this badge.")
    with tenant_scope(request.tenant):
        if EndorsementRequest.objects.filter(pk=request.pk, accepted_at=None).update(accepted_at=timezone.now()) != 1:
            raise ValidationError("This endorsement link has already been used.")
        try:
            with transaction.atomic():
                endorsement = Endorsement.objects.create(tenant=request.tenant, badge_class=request.badge_class,
                                                         endorser=profile, request=request,
                                                         comment=comment.strip()[:5000])
        except IntegrityError:
            raise ValidationError(f"{profile.name} already endorses {request.badge_class.name}.") from None
        audit_record(tenant=request.tenant, action="endorsement.publish", actor_label=f"endorser {profile.name}",
                     obj=endorsement, summary=f"{profile.name} endorsed {request.badge_class.name}")
    publication_notify(badge_class_id=request.badge_class.public_id)
    return endorsement


@transaction.atomic
def endorsement_withdraw(*, endorsement: Endorsement, user: Any) -> Endorsement:
    if endorsement.endorser.owner_id != getattr(user, "pk", None):
        raise PermissionDenied("Only the endorser can withdraw its endorsement.")
    if endorsement.withdrawn_at is None:
        endorsement.withdrawn_at = timezone.now()
        endorsement.save(update_fields=["withdrawn_at"])
        with tenant_scope(endorsement.tenant):
            audit_record(tenant=endorsement.tenant, action="endorsement.withdraw",
                         actor_label=f"endorser {endorsement.endorser.name}", obj=endorsement,
                         summary=f"{endorsement.endorser.name} withdrew its endorsement")
        publication_notify(badge_class_id=endorsement.badge_class.public_id)
    return endorsement


def endorsements_of_user(user: Any) -> list[Endorsement]:
    with unscoped("an endorser lists its own endorsements, of any college"):
        return list(Endorsement.objects.select_related("badge_class__issuer", "tenant", "endorser")
                    .filter(endorser__owner=user))


def endorsement_of_user(user: Any, public_id: Any) -> Endorsement | None:
    with unscoped("an endorser opens one of its own endorsements, of any college"):
        return (Endorsement.objects.select_related("badge_class", "tenant", "endorser")
                .filter(endorser__owner=user, public_id=public_id).first())
