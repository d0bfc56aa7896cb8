"""Writes of the learner layer: claim, decline, visibility, collections, import, account deletion."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import selectors as account_selectors
from accounts.services import user_create_verified
from assertions import documents, tally
from assertions.models import Assertion
from backpack import selectors
from backpack.models import BackpackEntry, Collection, CollectionItem, ImportedBadge, Visibility
from backpack.panels import AWARD_RECORDS
from credentials import services as credentials
from endorsements.models import Endorsement, EndorserProfile
from issuers.dates import public_timestamp
from issuers.outbox import account_emails_delete
from issuers.scoping import unscoped
from issuers.services import publication_notify
from verification.verifier import INVALID, Verification, verify
from webhooks.services import award_claimed

MAX_IMPORT_BYTES = 5 * 1024 * 1024


# --- claim and decline ---------------------------------------------------------------------------


def learner_signup_from_claim(*, assertion: Assertion, password: str, name: str = "") -> Any:
    """One-step account for the award's address: the signed claim link proved the address."""
    email = assertion.recipient_identity.lower()
    if learner_account_exists(email=email):
        raise ValidationError("An account with this address already exists: log in to claim the badge.")
    # Someone else's unverified copy of the address takes nothing from its owner: it is removed here.
    return user_create_verified(email=email, password=password, name=name)


def learner_account_exists(*, email: str) -> bool:
    """Whether the learner at ``email`` should log in rather than sign up: an account proved the address
    (or an operator made it). An address merely typed into another account does not count."""
    return bool(account_selectors.user_by_verified_email(email=email)
                or account_selectors.user_made_by_hand_for(email=email))


def assertion_claim_by_link(*, assertion: Assertion) -> BackpackEntry | None:
    """The claim link's one click for a learner who already has an account: the signed link proved
    the address, so the award goes to the account that proved it, without signing in. None when no
    account proved the address (an operator's account that never did signs in first)."""
    owner = account_selectors.user_by_verified_email(email=assertion.recipient_identity)
    return assertion_claim(assertion=assertion, user=owner) if owner is not None else None


@transaction.atomic
def assertion_claim(*, assertion: Assertion, user: Any) -> BackpackEntry:
    """Claim an award into ``user``'s account. Only an owner of the (verified) address may; once only."""
    if assertion.revoked:
        raise ValidationError("This badge has been revoked by its issuer, so it can no longer be claimed.")
    if assertion.claimed_by_id is not None and assertion.claimed_by_id != user.pk:
        raise PermissionDenied("This badge has already been claimed by another account.")
    if assertion.recipient_identity.lower() not in selectors.verified_emails(user):
        raise PermissionDenied(f"Verify the address {assertion.recipient_identity} in your account to claim "
                               "this badge.")
    if assertion.claimed_by_id is None:
        now = timezone.now()
        with unscoped("a learner claims an award sent to one of their verified addresses, of any college"):
            # Compare-and-swap: two tabs claiming at once make one claim.
            updated = Assertion.objects.filter(pk=assertion.pk, claimed_by=None, revoked=False).update(
                claimed_at=now, claimed_by=user, updated_at=now)
        if not updated:
            assertion.refresh_from_db(fields=["claimed_by", "claimed_at", "revoked"])
            if assertion.claimed_by_id != user.pk:
                raise PermissionDenied("This badge has already been claimed by another account.")
        else:
            assertion.claimed_at, assertion.claimed_by = now, user
            tally.claimed(assertion, assertion.tenant.zone)
            award_claimed(assertion=assertion)  # the college's webhooks, in the claim's transaction
    entry, _ = BackpackEntry.objects.get_or_create(user=user, assertion=assertion)
    if entry.declined_at:
        entry.declined_at = None
        entry.save(update_fields=["declined_at"])
    return entry


def assertion_decline(*, assertion: Assertion, user: Any) -> BackpackEntry:
    """Decline an award without claiming it (the college then sees it unclaimed, not claimed)."""
    if assertion.claimed_by_id not in (None, user.pk) or (
            assertion.claimed_by_id is None and assertion.recipient_identity.lower() not in
            selectors.verified_emails(user)):
        raise PermissionDenied(f"Verify the address {assertion.recipient_identity} in your account first.")
    entry, _ = BackpackEntry.objects.get_or_create(user=user, assertion=assertion)
    return entry_decline(entry=entry)


def entry_decline(*, entry: BackpackEntry) -> BackpackEntry:
    """Declining hides the badge from the learner's pages and its share page; verification is untouched."""
    entry.declined_at = timezone.now()
    entry.save(update_fields=["declined_at"])
    CollectionItem.objects.filter(entry=entry).delete()
    return entry


def entry_restore(*, entry: BackpackEntry) -> BackpackEntry:
    entry.declined_at = None
    entry.save(update_fields=["declined_at"])
    return entry


def entry_update(*, entry: BackpackEntry, visibility: str, show_name: bool, indexable: bool) -> BackpackEntry:
    if visibility not in Visibility.values:
        raise ValidationError("Choose who can see this badge: public, anyone with the link, or only me.")
    entry.visibility = visibility
    entry.show_name = show_name
    entry.indexable = indexable and visibility != Visibility.PRIVATE
    entry.save(update_fields=["visibility", "show_name", "indexable"])
    return entry


# --- collections ---------------------------------------------------------------------------------


def _collection_fields(name: str, description: str, visibility: str) -> tuple[str, str, str]:
    name = (name or "").strip()
    if not name:
        raise ValidationError("Give the collection a name, e.g. “Level 2 Construction”.")
    if len(name) > 120:
        raise ValidationError("The name is too long (120 characters at most).")
    if visibility not in Visibility.values:
        raise ValidationError("Choose who can see the collection: public, anyone with the link, or only me.")
    return name, (description or "").strip()[:2000], visibility


def collection_create(*, user: Any, name: str, description: str = "", visibility: str = Visibility.LINK,
                      entries: Sequence[BackpackEntry] = ()) -> Collection:
    name, description, visibility = _collection_fields(name, description, visibility)
    with transaction.atomic():
        collection = Collection.objects.create(user=user, name=name, description=description, visibility=visibility)
        collection_set_entries(collection=collection, entries=entries)
    return collection


@transaction.atomic
def collection_update(*, collection: Collection, name: str, description: str, visibility: str,
                      entries: Sequence[BackpackEntry]) -> Collection:
    collection.name, collection.description, collection.visibility = _collection_fields(name, description, visibility)
    collection.save()
    collection_set_entries(collection=collection, entries=entries)
    return collection


def collection_set_entries(*, collection: Collection, entries: Sequence[BackpackEntry]) -> None:
    """Replace the collection's badges, in this order. Only the collection owner's entries are accepted."""
    if any(e.user_id != collection.user_id for e in entries):
        raise PermissionDenied("Only your own badges can go in your collections.")
    CollectionItem.objects.filter(collection=collection).delete()
    CollectionItem.objects.bulk_create(
        [CollectionItem(collection=collection, entry=e, position=n) for n, e in enumerate(dict.fromkeys(entries))])


def collection_add(*, collection: Collection, entry: BackpackEntry) -> None:
    if entry.user_id != collection.user_id:
        raise PermissionDenied("Only your own badges can go in your collections.")
    last = CollectionItem.objects.filter(collection=collection).order_by("-position").first()
    CollectionItem.objects.get_or_create(collection=collection, entry=entry,
                                         defaults={"position": last.position + 1 if last else 0})


def collection_delete(*, collection: Collection) -> None:
    collection.delete()


# --- import and export ---------------------------------------------------------------------------


def _is_image(data: bytes) -> bool:
    return data.startswith(b"\x89PNG") or data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _source_of(data: bytes | None, text: str | None) -> str:
    if data is not None and _is_image(data):
        return ImportedBadge.Source.PNG if data.startswith(b"\x89PNG") else ImportedBadge.Source.SVG
    text = (text or "").strip()
    if text.startswith(("http://", "https://")):
        return ImportedBadge.Source.URL
    if text.startswith("{"):
        return ImportedBadge.Source.JSON
    return ImportedBadge.Source.JWS


def _verify(data: bytes | None, text: str | None, recipient: str | None) -> Verification:
    return verify(image=data, recipient=recipient) if data is not None else verify(text=text, recipient=recipient)


def _verdict(result: Verification) -> str:
    """The verdict about the badge itself: a recipient mismatch is reported separately, not as "invalid"."""
    failed = {c.name for c in result.checks if not c.passed} - {"recipient"}
    if failed - {"revocation", "expiry"} or not result.checks:
        return INVALID
    return "revoked" if "revocation" in failed else "expired" if "expiry" in failed else "valid"


def _verify_for_user(user: Any, data: bytes | None, text: str | None) -> tuple[Verification, str | None]:
    """Verify the badge and find which verified address of the user it was issued to (if any)."""
    emails = sorted(selectors.verified_emails(user))
    result = _verify(data, text, emails[0] if emails else None)
    if _verdict(result) == INVALID:
        return result, None
    for n, email in enumerate(emails):
        if n:
            result = _verify(data, text, email)
        if any(c.name == "recipient" and c.passed for c in result.checks):
            return result, email
    return result, None


def badge_import(*, user: Any, data: bytes | None = None, filename: str = "", text: str | None = None
                 ) -> BackpackEntry:
    """Import a badge earned elsewhere: verified, matched to a verified address, kept exactly as given."""
    if (data is None) == (text is None or not text.strip()):
        raise ValidationError("Upload a badge image, or paste an assertion link or a signed badge (JWS).")
    if data is not None and len(data) > MAX_IMPORT_BYTES:
        raise ValidationError("The file is too large; the limit is 5 MB.")
    original = data if data is not None else (text or "").strip().encode()
    if data is not None and not _is_image(data):  # a credential file (JSON or JWT): its text, kept as uploaded
        try:
            text, data = data.decode("utf-8"), None
        except UnicodeDecodeError as exc:
            raise ValidationError("The file is neither a badge image nor a credential (JSON or JWT).") from exc
    result, email = _verify_for_user(user, data, text)
    if _verdict(result) == INVALID:
        failed = [c.message for c in result.checks if not c.passed and c.name != "recipient"]
        raise ValidationError(failed[0] if failed else "This is not a valid Open Badge.")
    if email is None:
        raise ValidationError("This badge was not issued to any of your verified email addresses. Add and verify "
                              "the address it was sent to (under Email addresses), then import it again.")
    ours = result.our_assertion_id
    if ours is not None:
        assertion = selectors.assertion_for_public_id(ours)
        if assertion is not None:
            entry, _ = BackpackEntry.objects.get_or_create(user=user, assertion=assertion)
            return entry
    with transaction.atomic():
        imported = ImportedBadge.objects.create(
            user=user, source=_source_of(data, text), original=original, original_filename=filename[:255],
            assertion_url=(result.assertion_url or "")[:2048], matched_email=email, verdict=_verdict(result),
            checks=[{"name": c.name, "passed": c.passed, "message": c.message} for c in result.checks],
            badge=result.badge or {}, issuer=result.issuer or {}, checked_at=result.checked_at,
            issued_at=selectors.badge_issued_at(result.badge or {}))
        return BackpackEntry.objects.create(user=user, imported=imported)


_REPLACED_FIELDS = ["source", "original", "original_filename", "assertion_url", "matched_email", "verdict", "checks",
                    "badge", "issuer", "checked_at", "issued_at"]


def badge_upsert(*, user: Any, text: str) -> tuple[BackpackEntry, bool]:
    """Import a credential another platform pushes (the Open Badges 3.0 API's upsert): verified and
    matched exactly as ``badge_import`` does, and an earlier import of the same credential (its ``id``,
    else the same bytes) is replaced in place, keeping the learner's settings and collections.
    Returns the entry and whether it is new (False: replaced, or one of our own awards)."""
    known = set(BackpackEntry.objects.filter(user=user).values_list("pk", flat=True))
    entry = badge_import(user=user, text=text)  # verifies (network) outside any transaction
    imported = entry.imported
    if imported is None:  # one of our own awards
        return entry, entry.pk not in known
    with transaction.atomic():
        same = ImportedBadge.objects.filter(user=user).exclude(pk=imported.pk)
        same = (same.filter(assertion_url=imported.assertion_url) if imported.assertion_url
                else same.filter(original=bytes(imported.original)))
        earlier = same.select_for_update().order_by("imported_at").first()
        if earlier is None:
            return entry, True
        for name in _REPLACED_FIELDS:
            setattr(earlier, name, getattr(imported, name))
        earlier.save(update_fields=_REPLACED_FIELDS)
        same.exclude(pk=earlier.pk).delete()
        imported.delete()  # and its new entry with it
        return BackpackEntry.objects.get(imported=earlier), False


def imported_recheck(*, imported: ImportedBadge) -> ImportedBadge:
    """Verify an imported badge again (revocation, expiry, a key that changed)."""
    data = bytes(imported.original)
    image = data if imported.source in (ImportedBadge.Source.PNG, ImportedBadge.Source.SVG) else None
    result = _verify(image, None if image is not None else data.decode("utf-8", "replace"), imported.matched_email)
    if result.busy:  # not checked at all: keep the last verdict rather than record "invalid"
        raise ValidationError(result.checks[-1].message)
    imported.verdict = _verdict(result)
    imported.checks = [{"name": c.name, "passed": c.passed, "message": c.message} for c in result.checks]
    if result.badge:
        imported.badge = result.badge
        imported.issued_at = selectors.badge_issued_at(result.badge)
    if result.issuer:
        imported.issuer = result.issuer
    imported.checked_at = result.checked_at
    imported.save(update_fields=["verdict", "checks", "badge", "issuer", "checked_at", "issued_at"])
    return imported


def entry_delete_import(*, entry: BackpackEntry) -> None:
    if entry.imported_id is None:
        raise ValidationError("Only imported badges can be removed; decline an awarded badge instead.")
    assert entry.imported is not None  # imported_id is set
    entry.imported.delete()


def baked_image(assertion: Assertion) -> tuple[bytes, str]:
    """The baked image (PNG, or SVG for an SVG badge), baked now if the worker has not yet."""
    from assertions.pipeline import assertion_bake

    ext = assertion.badge_class.image_type
    if assertion.baked_image.name and assertion.baked_image.storage.exists(assertion.baked_image.name):
        with assertion.baked_image.open("rb") as fh:
            return fh.read(), ext
    with unscoped("baking a learner's own award for download when the worker has not yet, of any college"):
        return assertion_bake(assertion), ext


def baked_png(assertion: Assertion) -> bytes:
    """The award baked into a PNG, for every badge (an SVG badge's is rendered from its SVG)."""
    from assertions.pipeline import assertion_bake_png

    with unscoped("baking a learner's own award as PNG for download, of any college"):
        return assertion_bake_png(assertion)


OB3_KINDS = ("ob3-json", "ob3-jwt", "ob3-image")


def ob3_download(assertion: Assertion, kind: str) -> tuple[bytes, str, str]:
    """The award as Open Badges 3.0: ``ob3-json`` (the signed credential), ``ob3-jwt`` or ``ob3-image``
    (the badge image with the credential baked in), as (bytes, media type, file extension)."""
    with unscoped("a learner's own award as an Open Badges 3.0 credential, of any college"):
        record = credentials.credential_record(assertion)
        if kind == "ob3-json":
            signed = credentials.credential_signed(assertion, record)
            return documents.serialize(signed), "application/vc+ld+json", "json"
        if kind == "ob3-jwt":
            return credentials.credential_jwt(assertion, record).encode(), "text/plain", "jwt"
        ext = assertion.badge_class.image_type
        data = credentials.credential_baked_image(assertion, record)
        return data, "image/png" if ext == "png" else "image/svg+xml", ext


def file_slug(text: str) -> str:
    cleaned = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    return "-".join(filter(None, cleaned.split("-")))[:60] or "badge"


def backpack_zip(*, user: Any) -> bytes:
    """Everything: each award's baked image and OB 2.0 JSON, and as Open Badges 3.0 its signed credential
    (``ob3-credential.json``), VC-JWT (``ob3-credential.jwt``) and baked image (``<name>-ob3.<ext>``); each
    import exactly as imported. A revoked award has no baked images (they would only say revoked)."""
    out = io.BytesIO()
    names: set[str] = set()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for item in selectors.backpack_items(user, include_declined=True):
            base = file_slug(item.name)
            stem, n = base, 1
            while stem in names:
                n += 1
                stem = f"{base}-{n}"
            names.add(stem)
            if item.assertion is not None:
                if not item.assertion.revoked:
                    data, ext = baked_image(item.assertion)
                    zf.writestr(f"{stem}/{stem}.{ext}", data)
                doc = documents.assertion_document(item.assertion)
                zf.writestr(f"{stem}/assertion.json", documents.serialize(doc))
                zf.writestr(f"{stem}/badge.json", json.dumps(documents.badge_document(item.assertion.badge_class)))
                for kind in ("ob3-json", "ob3-jwt") if item.assertion.revoked else OB3_KINDS:
                    data, _type, ext = ob3_download(item.assertion, kind)
                    zf.writestr(f"{stem}/{stem}-ob3.{ext}" if kind == "ob3-image" else f"{stem}/ob3-credential.{ext}",
                                data)
            else:
                imp = item.entry.imported
                assert imp is not None  # the constraint entry_is_ours_or_imported: not ours, so imported
                zf.writestr(f"{stem}/{stem}.{imp.extension}", bytes(imp.original))
    return out.getvalue()


def _moment(value: Any) -> str | None:
    return public_timestamp(value) if value is not None else None


def backpack_data(*, user: Any) -> dict[str, Any]:
    """What the platform holds about the learner, as one JSON document (their right of access): the
    account, its addresses, every award sent to a verified address (from any college) as the college
    recorded it, the backpack's settings for each, imports and collections."""
    items = selectors.backpack_items(user, include_declined=True)
    awards, imports = [], []
    for item in items:
        entry = item.entry
        settings_of = {"visibility": entry.visibility, "show_name": entry.show_name, "indexable": entry.indexable,
                       "declined_at": _moment(entry.declined_at), "added_at": _moment(entry.created_at)}
        if item.assertion is not None:
            a = item.assertion
            awards.append({
                "id": str(a.public_id), "badge": a.badge_class.name, "issuer": a.badge_class.issuer.name,
                "college": a.tenant.name, "sent_to": a.recipient_identity, "name_recorded": a.recipient_name,
                "issued_on": _moment(a.issued_on), "expires": _moment(a.expires), "narrative": a.narrative,
                "evidence": a.evidence, "revoked": a.revoked, "revocation_reason": a.revocation_reason or "",
                "claimed_at": _moment(a.claimed_at), "url": documents.public_url("assertions", a.public_id),
                "backpack": settings_of, **{k: v for records in AWARD_RECORDS for k, v in records(a).items()}})
        elif entry.imported is not None:
            imp = entry.imported
            imports.append({"id": str(imp.public_id), "badge": imp.badge.get("name", ""),
                            "issuer": imp.issuer.get("name", ""), "source": imp.source, "url": imp.assertion_url,
                            "matched_email": imp.matched_email, "verdict": imp.verdict,
                            "checked_at": _moment(imp.checked_at), "backpack": settings_of})
    collections = [{"id": str(c.public_id), "name": c.name, "description": c.description,
                    "visibility": c.visibility, "badges": [str(e.public_id) for e in c.entries.all()]}
                   for c in Collection.objects.filter(user=user).prefetch_related("entries")]
    return {
        "exported_at": public_timestamp(timezone.now()),
        "account": {"email": user.email, "name": user.name, "joined": _moment(user.date_joined),
                    "last_login": _moment(user.last_login)},
        "addresses": [{"email": e.email, "verified": e.verified, "primary": e.primary}
                      for e in user.emailaddress_set.order_by("email")],
        "awards": awards, "imported_badges": imports, "collections": collections,
    }


# --- account -------------------------------------------------------------------------------------


def learner_delete(*, user: Any) -> None:
    """Delete the learner's account and personal data. Awards stay with their issuers and still verify:
    ``claimed_by`` is cleared; entries, collections, imports and addresses go with the user."""
    from issuers.selectors import user_memberships

    if user_memberships(user):
        raise ValidationError("You are staff of a college: ask its admin to remove you before deleting your account.")
    with transaction.atomic():
        with unscoped("a deleted account is cleared from the awards it claimed, in every college"):
            Assertion.objects.filter(claimed_by=user).update(claimed_by=None)
            # An endorser's profile, key and endorsements go with its account: the endorsed badges' documents
            # and its DID document change.
            endorsed = set(Endorsement.objects.filter(endorser__owner=user).values_list("badge_class__public_id",
                                                                                         flat=True))
        for endorser_id in EndorserProfile.objects.filter(owner=user).values_list("public_id", flat=True):
            publication_notify(endorser_id=endorser_id)
        for badge_id in endorsed:
            publication_notify(badge_class_id=badge_id)
        # Their account emails (verification links, sign-in codes) are theirs, not a college's record.
        addresses = [*user.emailaddress_set.values_list("email", flat=True), user.email]  # allauth's, proven or not
        account_emails_delete(addresses=addresses)
        user.delete()
