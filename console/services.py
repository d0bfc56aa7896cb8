"""Writes of the platform console: a college's offboarding (archive, then deletion after a grace period)
and the measurement of its storage. Creating, suspending and limiting a college are
``issuers.services`` (``tenant_create``, ``tenant_set_status``, ``tenant_set_limits``), which the
console, ``manage.py createtenant`` and the Django admin share."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assertions import documents
from assertions.models import Assertion, BulkJob
from assertions.pipeline import assertion_bake
from badges.models import BadgeClass
from console.models import Offboarding, StorageMeasure
from credentials import services as credentials
from credentials.models import IssuedCredential
from credentials.proof import Ed25519Signer
from endorsements.documents import endorsement_urls
from issuers.context import Actor, ActorLike, acting, tenant_context
from issuers.csvexport import csv_bytes
from issuers.keycache import api_keys_changed
from issuers.models import AuditEntry, Issuer, SigningKey, Tenant
from issuers.services import publication_notify, tenant_set_status
from pathways.models import Pathway
from verification.models import RemovedDocument

logger = logging.getLogger(__name__)
ARCHIVE_ACTOR = Actor(system="offboarding archive")


def archive_path(offboarding: Offboarding) -> Path:
    return Path(settings.ARCHIVE_ROOT) / offboarding.archive_name


@transaction.atomic
def offboarding_start(*, tenant: Tenant, grace_days: int, actor: ActorLike) -> Offboarding:
    """Start a college's offboarding: it is suspended (read-only, its badges keep verifying), the worker
    builds its archive, and it is deleted ``grace_days`` after now by the beat task."""
    if grace_days < 0:
        raise ValidationError("The grace period cannot be negative.")
    if Offboarding.objects.filter(tenant=tenant, status__in=[Offboarding.Status.BUILDING,
                                                             Offboarding.Status.READY]).exists():
        raise ValidationError(f"{tenant.name} is already being offboarded.")
    delete_after = timezone.now() + timedelta(days=grace_days)
    offboarding = Offboarding.objects.create(
        tenant=tenant, college_name=tenant.name, college_slug=tenant.slug, grace_days=grace_days,
        delete_after=delete_after, requested_by=Actor.of(actor).user)
    tenant_set_status(tenant=tenant, status=Tenant.Status.SUSPENDED, actor=actor,
                      reason=f"Leaving the platform: its records will be deleted after {delete_after:%-d %B %Y}.")
    _archive_queue(offboarding)
    return offboarding


def _archive_queue(offboarding: Offboarding) -> None:
    from console.tasks import offboarding_archive  # the task runs this module's service: imported when needed

    transaction.on_commit(lambda: offboarding_archive.delay(offboarding_id=offboarding.pk))


@transaction.atomic
def offboarding_retry(*, offboarding: Offboarding) -> Offboarding:
    """Build a failed archive again (its error stays shown until the new one is built)."""
    if offboarding.status == Offboarding.Status.FAILED:
        _archive_queue(offboarding)
    return offboarding


@transaction.atomic
def offboarding_cancel(*, offboarding: Offboarding, actor: ActorLike) -> Offboarding:
    """Stop a scheduled deletion (the college stays suspended until it is re-activated)."""
    if offboarding.status not in {Offboarding.Status.BUILDING, Offboarding.Status.READY, Offboarding.Status.FAILED}:
        raise ValidationError("This offboarding is over.")
    offboarding.status = Offboarding.Status.CANCELLED
    offboarding.save(update_fields=["status"])
    if offboarding.tenant is not None:
        with tenant_context(offboarding.tenant, acting(actor)):
            from issuers.services import audit_record

            audit_record(tenant=offboarding.tenant, action="tenant.offboarding_cancel", actor=actor,
                         obj=offboarding.tenant, summary="Deletion cancelled")
    return offboarding


def offboarding_archive_build(*, offboarding: Offboarding) -> Offboarding:
    """Write the college's archive (one zip, in ``ARCHIVE_ROOT``): its issuers, keys, badge classes and
    awards as Open Badges 2.0 JSON, badge images and baked awards, learners' claim state, the awards as
    CSV and the audit log. Written to a temporary file and renamed, so a worker that dies leaves none.
    Idempotent: built again, it replaces the file."""
    tenant = offboarding.tenant
    if tenant is None or offboarding.status not in {Offboarding.Status.BUILDING, Offboarding.Status.FAILED}:
        return offboarding
    root = Path(settings.ARCHIVE_ROOT)
    name = f"{tenant.slug}-{offboarding.public_id}.zip"
    temporary = ""
    try:
        root.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=root, suffix=".part")
        os.close(handle)
        with tenant_context(tenant, ARCHIVE_ACTOR), zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            _write_archive(archive, tenant)
        os.replace(temporary, root / name)
    except Exception as exc:
        if temporary:
            Path(temporary).unlink(missing_ok=True)
        Offboarding.objects.filter(pk=offboarding.pk).update(status=Offboarding.Status.FAILED,
                                                             error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    Offboarding.objects.filter(pk=offboarding.pk).update(
        status=Offboarding.Status.READY, archive_name=name, archive_bytes=(root / name).stat().st_size,
        archive_built_at=timezone.now(), error="")
    offboarding.refresh_from_db()
    return offboarding


def _json(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, indent=2, ensure_ascii=False).encode()


def _write_archive(archive: zipfile.ZipFile, tenant: Tenant) -> None:
    archive.writestr("college.json", _json({
        "name": tenant.name, "slug": tenant.slug, "timezone": tenant.timezone, "contact_email": tenant.contact_email,
        "created_at": tenant.created_at.isoformat(), "exported_at": timezone.now().isoformat()}))
    archive.writestr("README.txt", (
        f"Everything {tenant.name} held on Badge Platform, exported {timezone.now():%Y-%m-%d %H:%M} UTC.\n\n"
        "issuers/    each issuer profile (Open Badges 2.0 Profile) and its public keys\n"
        "badges/     each badge class (OB 2.0 BadgeClass) and its image\n"
        "awards/     each award (OB 2.0 Assertion) and its baked image (the badge learners hold), and as\n"
        "            Open Badges 3.0: <id>.ob3.json (the signed credential), <id>.ob3.jwt (its VC-JWT) and\n"
        "            <id>.ob3.png or .svg (the image with the credential baked in)\n"
        "issuers/<id>.did.json  each issuer's DID document: every Ed25519 and RSA key it signed with\n"
        "awards.csv  every award in a table; learners.csv: each award's claim state; audit.csv: the audit log\n"))
    for issuer in Issuer.objects.all():
        archive.writestr(f"issuers/{issuer.public_id}.json", _json(documents.issuer_document(issuer)))
        for key in SigningKey.objects.filter(issuer=issuer):
            archive.writestr(f"issuers/keys/{key.public_id}.json", _json(documents.key_document(key)))
        archive.writestr(f"issuers/{issuer.public_id}.did.json", _json(credentials.issuer_did_document(issuer)))
    for badge in BadgeClass.objects.select_related("issuer"):
        archive.writestr(f"badges/{badge.public_id}.json",
                         _json(documents.badge_document(badge, endorsements=endorsement_urls(badge))))
        with badge.image.open("rb") as fh:
            archive.writestr(f"badges/{badge.public_id}.{badge.image_type}", fh.read())
    awards, learners = [], []
    signers: dict[int, Ed25519Signer] = {}  # each issuer's Ed25519 key decrypted once
    for batch in _batches(_awards(), 500):
        records = credentials.credentials_allocate(batch)
        for award in batch:
            _write_award(archive, award, records[award.pk], signers)
            awards.append([str(award.public_id), award.badge_class.name, award.recipient_identity,
                           award.recipient_name, award.issued_on.isoformat(),
                           award.expires.isoformat() if award.expires else "",
                           "revoked" if award.revoked else "valid", award.revocation_reason,
                           documents.public_url("assertions", award.public_id)])
            learners.append([str(award.public_id), award.recipient_identity,
                             "claimed" if award.claimed_at else "not claimed",
                             award.claimed_at.isoformat() if award.claimed_at else ""])
    archive.writestr("awards.csv", csv_bytes(["award", "badge", "recipient", "name", "issued_on", "expires",
                                              "status", "revocation_reason", "url"], awards))
    archive.writestr("learners.csv", csv_bytes(["award", "recipient", "claim", "claimed_at"], learners))
    archive.writestr("audit.csv", csv_bytes(
        ["when", "who", "action", "object_type", "object_id", "summary"],
        ([e.created_at.isoformat(), e.actor_label, e.action, e.object_type, e.object_id, e.summary]
         for e in AuditEntry.objects.order_by("created_at", "id").iterator(chunk_size=2000))))


def _write_award(archive: zipfile.ZipFile, award: Assertion, record: IssuedCredential,
                 signers: dict[int, Ed25519Signer]) -> None:
    """One award as Open Badges 2.0 and 3.0 (a revoked one without its baked images: they only say revoked)."""
    stem, ext = f"awards/{award.public_id}", award.badge_class.image_type
    archive.writestr(f"{stem}.json", _json(documents.assertion_document(award)))
    archive.writestr(f"{stem}.ob3.json", documents.serialize(credentials.credential_signed(award, record,
                                                                                            signers=signers)))
    archive.writestr(f"{stem}.ob3.jwt", credentials.credential_jwt(award, record))
    if not award.revoked:
        archive.writestr(f"{stem}.{ext}", _baked(award))
        archive.writestr(f"{stem}.ob3.{ext}", credentials.credential_baked_image(award, record))


def _batches(items: Iterator[Assertion], size: int) -> Iterator[list[Assertion]]:
    batch: list[Assertion] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _awards() -> Iterator[Assertion]:
    return (Assertion.objects.select_related("badge_class__issuer", "signing_key").order_by("id")
            .iterator(chunk_size=500))


def _baked(award: Assertion) -> bytes:
    """The award's baked image as learners hold it; baked now if the worker has not yet."""
    if award.baked_image.name and award.baked_image.storage.exists(award.baked_image.name):
        with award.baked_image.open("rb") as fh:
            return fh.read()
    return assertion_bake(award)


def offboarding_delete(*, offboarding: Offboarding) -> Offboarding:
    """Delete the college once its grace period is over and its archive is built. Every public id of
    its issuers, keys, badge classes and awards is kept as a tombstone first, so their URLs answer 410
    with the reason instead of 404, and the public-document cache forgets them."""
    tenant = offboarding.tenant
    if tenant is None or offboarding.status != Offboarding.Status.READY or offboarding.delete_after > timezone.now():
        return offboarding
    files: list[Any] = []
    with transaction.atomic(), tenant_context(tenant, Actor(system="offboarding")):
        removed = []
        for kind, model in ((RemovedDocument.Kind.ISSUER, Issuer), (RemovedDocument.Kind.KEY, SigningKey),
                            (RemovedDocument.Kind.BADGE, BadgeClass), (RemovedDocument.Kind.ASSERTION, Assertion)):
            for public_id in model.objects.values_list("public_id", flat=True).iterator(chunk_size=5000):
                removed.append(RemovedDocument(public_id=public_id, kind=kind, college=tenant.name))
                if len(removed) >= 5000:
                    RemovedDocument.objects.bulk_create(removed, ignore_conflicts=True)
                    removed = []
        RemovedDocument.objects.bulk_create(removed, ignore_conflicts=True)
        for issuer in Issuer.objects.all():
            publication_notify(issuer_id=issuer.public_id)
        ids = list(Assertion.objects.values_list("public_id", flat=True))
        for start in range(0, len(ids), 1000):
            publication_notify(assertion_ids=ids[start:start + 1000])
        files = _files_of(tenant)
        # What protects badge classes from deletion (awards, jobs, capstones, older versions) goes first.
        Pathway.objects.all().delete()
        Assertion.objects.all().delete()
        BulkJob.objects.all().delete()
        BadgeClass.objects.update(previous_version=None)
        BadgeClass.objects.all().delete()
        StorageMeasure.objects.filter(tenant=tenant).delete()
        Offboarding.objects.filter(pk=offboarding.pk).update(status=Offboarding.Status.DELETED,
                                                             deleted_at=timezone.now())
        tenant.delete()
        api_keys_changed()  # its keys, remembered by web processes, go with it
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Could not delete %s of an offboarded college", name, exc_info=True)
    offboarding.refresh_from_db()
    return offboarding


# An award's images are baked seconds after it is made; one made this long ago is counted once, as baked.
STORAGE_AWARDS_SETTLE = timedelta(hours=1)


def _fixed_files(tenant: Tenant) -> list[tuple[Any, str]]:
    """The college's files other than its awards' (inside its scope): its logo, issuer and badge images."""
    files: list[Any] = [tenant.logo] if tenant.logo else []
    for issuer in Issuer.objects.exclude(image=""):
        files.append(issuer.image)
    for badge in BadgeClass.objects.all():
        files += [f for f in (badge.image, badge.image_png) if f]
    return [(f.storage, str(f.name)) for f in files]


def _award_files(after: int = 0, through: int | None = None) -> Iterator[tuple[Any, str]]:
    """The baked images (OB 2.0 and OB 3.0) of the college's awards with ids in (``after``, ``through``]."""
    storage = Assertion._meta.get_field("baked_image").storage  # type: ignore[attr-defined]
    ob3_storage = IssuedCredential._meta.get_field("baked_image").storage  # type: ignore[attr-defined]
    awards = Assertion.objects.filter(pk__gt=after)
    if through is not None:
        awards = awards.filter(pk__lte=through)
    for name, ob3_name in awards.values_list("baked_image", "credential__baked_image").iterator(chunk_size=2000):
        if name:
            yield storage, name
        if ob3_name:
            yield ob3_storage, ob3_name


def _files_of(tenant: Tenant) -> list[tuple[Any, str]]:
    """Every stored file of the college (inside its scope): badge images, baked awards (both images), logos."""
    return _fixed_files(tenant) + list(_award_files())


def _sizes(files: Iterable[tuple[Any, str]]) -> tuple[int, int]:
    total, count = 0, 0
    for storage, name in files:
        try:
            total += storage.size(name)
            count += 1
        except (OSError, ValueError):
            continue
    return total, count


def offboardings_delete_due() -> int:
    """Beat: delete every college whose grace period is over and whose archive is ready."""
    done = 0
    for offboarding in Offboarding.objects.filter(status=Offboarding.Status.READY, delete_after__lte=timezone.now()):
        offboarding_delete(offboarding=offboarding)
        done += 1
    return done


def storage_measure(*, tenant: Tenant) -> StorageMeasure:
    """Measure the bytes of the college's files (the worker, daily). The awards' images are a running
    total: each run reads the sizes of the images of the awards made since the last run (up to an hour
    ago, so they are baked), which is what a day adds, not every file of years of awards (at 1,000,000
    awards, two million file sizes, each a request on object storage). Every ``STORAGE_RECOUNT_DAYS``
    the college is counted in full, which also takes out what was deleted meanwhile (erased awards,
    images baked again)."""
    now = timezone.now()
    with tenant_context(tenant, Actor(system="storage measure")):
        last = StorageMeasure.objects.filter(tenant=tenant).first()
        full = last is None or last.counted_in_full_at is None or \
            last.counted_in_full_at <= now - timedelta(days=settings.STORAGE_RECOUNT_DAYS)
        after = 0 if full or last is None else last.awards_through
        newest_settled = (Assertion.objects.filter(created_at__lte=now - STORAGE_AWARDS_SETTLE)
                          .order_by("-created_at", "-pk").values_list("pk", flat=True).first())
        through = max(after, newest_settled or 0)
        award_bytes, award_files = _sizes(_award_files(after, through))
        if not full and last is not None:
            award_bytes, award_files = award_bytes + last.award_bytes, award_files + last.award_files
        fixed_bytes, fixed_files = _sizes(_fixed_files(tenant))
        measure, _ = StorageMeasure.objects.update_or_create(tenant=tenant, defaults={
            "bytes": fixed_bytes + award_bytes, "files": fixed_files + award_files, "measured_at": now,
            "award_bytes": award_bytes, "award_files": award_files, "awards_through": through,
            "counted_in_full_at": now if full or last is None else last.counted_in_full_at})
    return measure
