"""Writes for badge classes."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from badges.images import svg_to_png, validate_badge_image
from badges.models import BadgeClass
from issuers.context import ActorLike, acting
from issuers.models import Issuer
from issuers.scoping import current_tenant_id
from issuers.services import audit_record, publication_notify


def badge_class_create(
    *, issuer: Issuer, name: str, description: str, image: bytes, actor: ActorLike = None, **fields: Any
) -> BadgeClass:
    """A new badge class. The image is untrusted: validated (PNG/SVG, square, >= 90 px, capped),
    SVG sanitised, and an SVG gets a PNG rendition."""
    if issuer.tenant_id != current_tenant_id():
        raise ValidationError("This issuer belongs to another college.")
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    kind, clean = validate_badge_image(image)
    badge = BadgeClass(tenant=issuer.tenant, issuer=issuer, name=name, description=description, image_type=kind,
                       created_by=acting(actor).user, **fields)
    badge.full_clean(exclude=["tenant", "issuer", "image", "image_png", "created_by", "previous_version"])
    badge.image.save(f"{badge.public_id}.{kind}", ContentFile(clean), save=False)
    if kind == "svg":
        badge.image_png.save(f"{badge.public_id}.png", ContentFile(svg_to_png(clean)), save=False)
    badge.save()
    audit_record(tenant=issuer.tenant, action="badge_class.create", actor=actor, obj=badge, badge=badge,
                 summary=name)
    return badge

# Changing these changes what an award means, so an awarded badge class gets a new version instead.
MEANING_FIELDS = {"name", "description", "criteria_narrative", "criteria_url", "image", "image_type", "alignments",
                  "achievement_type", "credits_available", "field_of_study", "human_code", "in_language"}
EDITABLE_FIELDS = MEANING_FIELDS | {"tags", "validity_days"}


@transaction.atomic
def badge_class_update(*, badge_class: BadgeClass, actor: ActorLike = None, **changes: Any) -> BadgeClass:
    """Apply ``changes``. Returns the badge class to use from now on: the same row, or a new version
    (own public id and URL) when the class has awards and its meaning changes."""
    if badge_class.tenant_id != current_tenant_id():
        raise ValidationError("This badge belongs to another college.")
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(f"Cannot change {', '.join(sorted(unknown))}.")
    if badge_class.retired_at is not None:
        raise ValidationError("A retired or superseded badge class cannot be edited.")
    image = changes.pop("image", None)
    changed = {k: v for k, v in changes.items() if getattr(badge_class, k) != v}
    if image is not None:
        changed.update(_image_fields(badge_class, image))
    if not changed:
        return badge_class
    if badge_class.assertions.exists() and changed.keys() & MEANING_FIELDS:
        old = BadgeClass.objects.select_for_update().get(pk=badge_class.pk)
        new = BadgeClass.objects.get(pk=old.pk)  # a copy of the row, saved below as a new one
        new.pk = None
        new._state.adding = True
        new.public_id = uuid.uuid4()
        new.previous_version = old
        for key, value in changed.items():
            setattr(new, key, value)
        new.full_clean(exclude=["tenant", "issuer", "image", "image_png", "created_by", "previous_version"])
        new.save()
        old.retired_at = timezone.now()
        old.save(update_fields=["retired_at", "updated_at"])
        audit_record(
            tenant=old.tenant,
            action="badge_class.new_version",
            actor=actor,
            obj=new,
            badge=new,
            summary=f"{new.name}: new version",
            data={"previous": str(old.public_id), "changed": sorted(changed)},
        )
        return new
    for key, value in changed.items():
        setattr(badge_class, key, value)
    badge_class.full_clean(exclude=["tenant", "issuer", "image", "image_png", "created_by", "previous_version"])
    badge_class.save()
    audit_record(
        tenant=badge_class.tenant,
        action="badge_class.update",
        actor=actor,
        obj=badge_class,
        badge=badge_class,
        data={"changed": sorted(changed)},
    )
    publication_notify(badge_class_id=badge_class.public_id)
    return badge_class


def _image_fields(badge_class: BadgeClass, image: bytes) -> dict[str, Any]:
    """A replacement image, validated like a new one, saved under fresh names (old awards keep theirs)."""
    kind, clean = validate_badge_image(image)
    if badge_class.image:
        with badge_class.image.open("rb") as fh:
            if fh.read() == clean:
                return {}
    name = uuid.uuid4()
    stored = badge_class.image.storage.save(f"badges/{name}.{kind}", ContentFile(clean))
    fields: dict[str, Any] = {"image": stored, "image_type": kind, "image_png": ""}
    if kind == "svg":
        fields["image_png"] = badge_class.image_png.storage.save(f"badges/png/{name}.png",
                                                                 ContentFile(svg_to_png(clean)))
    return fields


@transaction.atomic
def badge_class_retire(*, badge_class: BadgeClass, actor: ActorLike = None) -> BadgeClass:
    """No new awards from now on; awards already made stay valid."""
    if badge_class.tenant_id != current_tenant_id():
        raise ValidationError("This badge belongs to another college.")
    if badge_class.retired_at is None:
        badge_class.retired_at = timezone.now()
        badge_class.save(update_fields=["retired_at", "updated_at"])
        audit_record(tenant=badge_class.tenant, action="badge_class.retire", actor=actor, obj=badge_class,
                     badge=badge_class, summary=f"{badge_class.name} retired")
    return badge_class
