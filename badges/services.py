"""Writes for badge classes."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from badges.models import BadgeClass
from issuers.services import audit_record

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
