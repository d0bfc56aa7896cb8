"""Background work on assertions: baking the image (idempotent, safe to retry)."""

from __future__ import annotations

from celery import Task, shared_task

from assertions.models import Assertion
from issuers.tasks import TenantTask


def baked_payload(assertion: Assertion) -> str:
    """What goes inside the image: the hosted JSON, or the JWS of a signed badge."""
    from assertions.documents import assertion_document, serialize
    from assertions.signing import sign_compact

    doc = assertion_document(assertion)
    if assertion.verification_type == Assertion.Verification.SIGNED:
        return sign_compact(doc, assertion.signing_key)
    return serialize(doc).decode()


def assertion_bake(assertion: Assertion) -> bytes:
    """Bake (or re-bake) the assertion's image and store it, replacing any earlier file."""
    from django.core.files.base import ContentFile

    from assertions.baking import bake_png, bake_svg
    from assertions.documents import public_url

    badge = assertion.badge_class
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
    assertion.baked_image.save(f"{assertion.public_id}.{badge.image_type}", ContentFile(baked), save=False)
    Assertion.objects.filter(pk=assertion.pk).update(baked_image=assertion.baked_image.name)
    if old and old != assertion.baked_image.name:
        assertion.baked_image.storage.delete(old)
    return baked


@shared_task(base=TenantTask, bind=True, autoretry_for=(OSError,), retry_backoff=10, retry_backoff_max=600,
             max_retries=8)
def bake_assertion(self: Task, *, tenant_id: int, assertion_id: int) -> None:
    assertion = Assertion.objects.select_related("badge_class__issuer", "signing_key").filter(pk=assertion_id).first()
    if assertion is None or assertion.revoked:
        return
    assertion_bake(assertion)
