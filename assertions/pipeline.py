"""Baking, the first half of the award pipeline: put each assertion inside its badge image.

Business logic only; ``assertions.tasks`` queues it and runs it in the worker (``process_assertions``
bakes a batch, then emails it). A baked image is derived from the database and can be rebuilt at
any time; rebuilding replaces the stored file, and the old one is deleted once the new name commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from assertions.baking import bake_png, bake_svg
from assertions.documents import assertion_document, public_url, serialize
from assertions.models import Assertion
from assertions.selectors import awards_with_badges
from assertions.signing import sign_compact
from badges.images import svg_to_png
from issuers.files import NewFiles
from issuers.registry import Registry
from issuers.rows import rows_update

logger = logging.getLogger(__name__)

#: Told, once the bake has committed, which awards were just baked: the layers above bake their own
#: forms of the award (the Open Badges 3.0 credential's image, ``credentials``).
BAKED: Registry[Callable[[Sequence[Assertion]], None]] = Registry("awards just baked")


def baked_payload(assertion: Assertion) -> str:
    """What goes inside the image: the hosted JSON, or the JWS of a signed badge."""
    doc = assertion_document(assertion)
    if assertion.verification_type == Assertion.Verification.SIGNED:
        assert assertion.signing_key is not None  # a signed assertion records the key that signs it
        return sign_compact(doc, assertion.signing_key)
    return serialize(doc).decode()


def assertion_bake(assertion: Assertion, *, source: bytes | None = None) -> bytes:
    """Bake (or re-bake) the assertion's image and store it, replacing any earlier file."""
    baked, name = _bake_and_store(assertion, source=source)
    Assertion.objects.filter(pk=assertion.pk).update(baked_image=name)
    return baked


def assertion_bake_png(assertion: Assertion) -> bytes:
    """The award baked into a PNG whatever the badge's image is: an SVG badge's PNG rendering (made
    when the image was saved, or rendered now) with the same payload. Derived, so not stored: a
    PNG badge's stored bake is the same bytes."""
    badge = assertion.badge_class
    if badge.image_type != "svg":
        with badge.image.open("rb") as fh:
            return bake_png(fh.read(), baked_payload(assertion))
    if badge.image_png:
        with badge.image_png.open("rb") as fh:
            source = fh.read()
    else:
        with badge.image.open("rb") as fh:
            source = svg_to_png(fh.read())
    return bake_png(source, baked_payload(assertion))


def _bake_and_store(assertion: Assertion, *, source: bytes | None = None,
                    files: NewFiles | None = None) -> tuple[bytes, str]:
    """Write the baked image to storage and return it with its stored name; the caller records the name.
    An earlier file is deleted once the transaction that records the new name commits. ``files``: the
    batch's writer (``issuers.files``)."""
    badge = assertion.badge_class
    if source is None:
        with badge.image.open("rb") as fh:
            source = fh.read()
    payload = baked_payload(assertion)
    if badge.image_type == "svg":
        signed = assertion.verification_type == Assertion.Verification.SIGNED
        baked = bake_svg(source, payload, verify_url=None if signed else public_url("assertions", assertion.public_id),
                         signed=signed)
    else:
        baked = bake_png(source, payload)
    old = assertion.baked_image.name if assertion.baked_image else ""
    name = (files or NewFiles()).store(assertion.baked_image, f"{assertion.public_id}.{badge.image_type}", baked)
    if old and old != name:
        storage = assertion.baked_image.storage
        transaction.on_commit(lambda: storage.delete(old))  # only once the new name is committed
    return baked, name


def bake_pending(ids: Sequence[int]) -> None:
    pending = awards_with_badges(Assertion.objects.select_related("signing_key").filter(
        pk__in=ids, bake_status=Assertion.BakeStatus.PENDING, revoked=False).order_by("pk"))
    sources: dict[int, bytes] = {}
    done: list[tuple[int, str]] = []
    failed: list[tuple[int, str]] = []
    # One transaction for the batch: a commit costs milliseconds (an fsync), a bake well under one.
    with transaction.atomic():
        _bake_each(pending, sources, done, failed)
        now = timezone.now()
        _record_baked(done, now)
        for pk, error in failed:
            Assertion.objects.filter(pk=pk).update(bake_status=Assertion.BakeStatus.FAILED, bake_error=error,
                                                   updated_at=now)
    # After the commit, in transactions of their own: what the layers above take (a row lock to
    # count status indexes, say) is never held across this batch's bake.
    baked = {pk for pk, _name in done}
    for also_bake in BAKED:
        also_bake([a for a in pending if a.pk in baked])


def _bake_each(pending: Iterable[Assertion], sources: dict[int, bytes], done: list[tuple[int, str]],
               failed: list[tuple[int, str]]) -> None:
    files = NewFiles()
    for assertion in pending:
        try:
            if assertion.badge_class_id not in sources:
                with assertion.badge_class.image.open("rb") as fh:
                    sources[assertion.badge_class_id] = fh.read()
            _, name = _bake_and_store(assertion, source=sources[assertion.badge_class_id], files=files)
            done.append((assertion.pk, name))
        except (OSError, ValueError) as exc:
            # A missing or broken badge image will not mend itself: record it where the tutor looks.
            logger.exception("Baking assertion %s failed", assertion.public_id)
            failed.append((assertion.pk, f"The badge image could not be baked: {exc}"[:500]))


def _record_baked(done: Sequence[tuple[int, str]], now: Any) -> None:
    """Each row's image name and status in one statement (``issuers.rows.rows_update``): a small UPDATE
    per row was half the cost of a bake."""
    rows_update(Assertion, "baked_image", done, bake_status=Assertion.BakeStatus.DONE, bake_error="", updated_at=now)
