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
from issuers.models import Issuer
from issuers.scoping import current_tenant_id
from issuers.services import audit_record


def badge_class_create(
    *, issuer: Issuer, name: str, description: str, image: bytes, actor: Any = None, **fields: Any
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
                       created_by=actor if getattr(actor, "is_authenticated", False) else None, **fields)
    badge.full_clean(exclude=["tenant", "issuer", "image", "image_png", "created_by", "previous_version"])
    badge.image.save(f"{badge.public_id}.{kind}", ContentFile(clean), save=False)
    if kind == "svg":
        badge.image_png.save(f"{badge.public_id}.png", ContentFile(svg_to_png(clean)), save=False)
    badge.save()
    audit_record(tenant=issuer.tenant, action="badge_class.create", actor=actor, obj=badge, summary=name)
    return badge

# Changing these changes what an award means, so an awarded badge class gets a new version instead.
MEANING_FIELDS = {"name", "description", "criteria_narrative", "criteria_url", "image", "image_type", "alignments"}
EDITABLE_FIELDS = MEANING_FIELDS | {"tags", "validity_days"}


@transaction.atomic
def badge_class_update(*, badge_class: BadgeClass, actor: Any = None, **changes: Any) -> BadgeClass:
    """Apply ``changes``. Returns the badge class to use from now on: the same row, or a new version
    (own public id and URL) when the class has awards and its meaning changes."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(f"Cannot change {', '.join(sorted(unknown))}.")
    if badge_class.retired_at is not None:
        raise ValidationError("A retired or superseded badge class cannot be edited.")
    changed = {k: v for k, v in changes.items() if getattr(badge_class, k) != v}
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
        new.save()
        old.retired_at = timezone.now()
        old.save(update_fields=["retired_at", "updated_at"])
        audit_record(
            tenant=old.tenant,
            action="badge_class.new_version",
            actor=actor,
            obj=new,
            summary=f"{new.name}: new version",
            data={"previous": str(old.public_id), "changed": sorted(changed)},
        )
        return new
    for key, value in changed.items():
        setattr(badge_class, key, value)
    badge_class.save()
    audit_record(
        tenant=badge_class.tenant,
        action="badge_class.update",
        actor=actor,
        obj=badge_class,
        data={"changed": sorted(changed)},
    )
    return badge_class
