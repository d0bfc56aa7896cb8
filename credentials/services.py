"""Open Badges 3.0 for every award: the credential's record (status index, key) made once per award,
in bulk for a cohort; the signed credential, its VC-JWT and its baked image; the issuer's signed
status list, revocation list and DID document."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from assertions.baking import bake_png
from assertions.documents import serialize
from assertions.models import Assertion
from badges.models import BadgeClass
from credentials import documents
from credentials.baking import bake_svg_credential
from credentials.did import did_document, endorser_did, rsa_key_id
from credentials.jwt import jwt_encode
from credentials.keys import credential_key_active, endorser_key_active, private_key, signer
from credentials.models import CredentialKey, EndorserKey, IssuedCredential
from credentials.proof import Ed25519Signer, proof_sign
from endorsements.documents import live_endorsements
from endorsements.models import EndorserProfile
from issuers.dates import public_timestamp
from issuers.files import NewFiles
from issuers.keys import decrypt_private_key
from issuers.models import Issuer, SigningKey
from issuers.rows import RowMaker, rows_insert, rows_update

logger = logging.getLogger(__name__)
OB3_PNG_KEYWORD = b"openbadgecredential"
_RECORDS = RowMaker(IssuedCredential)
_KEY = IssuedCredential._meta.get_field("key")


@transaction.atomic
def credentials_allocate(assertions: Sequence[Assertion]) -> dict[int, IssuedCredential]:
    """Each award's record, made once: new ones get the next status indexes of their issuer, in one
    insert per issuer (the issuer's row is locked while its indexes are counted)."""
    ids = [a.pk for a in assertions]
    records = {r.assertion_id: r for r in IssuedCredential.objects.select_related("key").filter(assertion_id__in=ids)}
    missing: dict[int, list[Assertion]] = defaultdict(list)
    for assertion in assertions:
        if assertion.pk not in records:
            missing[assertion.badge_class.issuer_id].append(assertion)
    now = timezone.now().replace(microsecond=0)
    reread = False
    for issuer_id, awards in missing.items():
        issuer = Issuer.objects.select_for_update().get(pk=issuer_id)
        again = set(IssuedCredential.objects.filter(assertion__in=awards).values_list("assertion_id", flat=True))
        awards = [a for a in awards if a.pk not in again]
        reread = reread or bool(again)  # another worker made those meanwhile
        key = credential_key_active(issuer=issuer)
        top = IssuedCredential.objects.filter(issuer=issuer).aggregate(top=Max("status_index"))["top"]
        start = 0 if top is None else top + 1
        # Made as the bulk paths make rows (issuers.rows: a COPY on PostgreSQL, a fifth of the cost of
        # bulk_create's INSERT of a cohort's 200), each with its key cached, as select_related gives it.
        made = [_RECORDS.new(tenant_id=issuer.tenant_id, assertion_id=a.pk, issuer_id=issuer.pk,
                             status_index=start + n, key_id=key.pk, created_at=now) for n, a in enumerate(awards)]
        rows_insert(_RECORDS, made)
        for record in made:
            _KEY.set_cached_value(record, key)
        if all(record.pk is not None for record in made):  # the ids are known: nothing to read back
            records.update((record.assertion_id, record) for record in made)
        else:
            reread = True
    if reread:
        records = {r.assertion_id: r for r in IssuedCredential.objects.select_related("key").filter(
            assertion_id__in=ids)}
    return records


def credential_record(assertion: Assertion) -> IssuedCredential:
    return credentials_allocate([assertion])[assertion.pk]


def credential_signed(assertion: Assertion, record: IssuedCredential, *,
                      signers: dict[int, Ed25519Signer] | None = None,
                      endorsements: dict[int, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    """The ``OpenBadgeCredential`` with its eddsa-rdfc-2022 proof. Ed25519 signatures are
    deterministic and ``created`` is the record's, so the same row always gives the same bytes.
    ``signers``: keys already decrypted, by key id (a batch decrypts each key once); ``endorsements``:
    each badge class's signed endorsements, by badge class id (a batch reads and signs them once: they
    are the same bytes for every award of the badge, and a query per award was a third of its cost)."""
    endorsements = {} if endorsements is None else endorsements
    badge_id = assertion.badge_class_id
    if badge_id not in endorsements:
        endorsements[badge_id] = endorsements_signed(assertion.badge_class)
    document = documents.credential_document(assertion, status_index=record.status_index,
                                             endorsements=endorsements[badge_id])
    signers = {} if signers is None else signers
    if record.key_id not in signers:
        signers[record.key_id] = signer(record.key, assertion.badge_class.issuer)
    return proof_sign(document, signers[record.key_id], created=record.created_at)


def credential_for_holder(assertion: Assertion, record: IssuedCredential, *, subject_id: str, jwt: bool
                          ) -> dict[str, Any] | str:
    """The credential signed afresh for a wallet (``subject_id``: the DID it proved it holds, or empty
    for the hashed email alone), as the signed JSON-LD or (``jwt``) the VC-JWT. The same status list
    entry as every other form of the award, so revoking it revokes this copy too."""
    if jwt:
        document = documents.credential_document(assertion, status_index=record.status_index,
                                                 status=documents.REVOCATION_LIST, subject_id=subject_id)
        private, kid = _jwt_key(assertion.badge_class.issuer)
        return jwt_encode(document, key=private, kid=kid)
    issuer = assertion.badge_class.issuer
    document = documents.credential_document(assertion, status_index=record.status_index, subject_id=subject_id,
                                             endorsements=endorsements_signed(assertion.badge_class))
    # Signed now, so by the key that signs now: a retired key never signs again (credentials.keys).
    return proof_sign(document, signer(credential_key_active(issuer=issuer), issuer),
                      created=timezone.now().replace(microsecond=0))


def endorsements_signed(badge: BadgeClass) -> list[dict[str, Any]]:
    """The badge class's live endorsements as ``EndorsementCredential``s, each signed with its
    endorser's key as of its date (so the same endorsement always gives the same bytes)."""
    signed = []
    for endorsement in live_endorsements(badge):
        key = endorser_key_active(endorser=endorsement.endorser)
        method = f"{endorser_did(endorsement.endorser)}#{key.public_key_multibase}"
        signed.append(proof_sign(documents.endorsement_credential(endorsement), Ed25519Signer(private_key(key), method),
                                 created=endorsement.issued_on))
    return signed


def endorser_did_document(endorser: EndorserProfile) -> dict[str, Any]:
    endorser_key_active(endorser=endorser)
    multikeys = list(EndorserKey.objects.filter(endorser=endorser).order_by("created_at", "pk")
                     .values_list("public_key_multibase", flat=True))
    return did_document(endorser, multikeys, [])


def _jwt_key(issuer: Issuer) -> tuple[rsa.RSAPrivateKey, str]:
    key = SigningKey.objects.filter(issuer=issuer, retired_at=None).first()
    if key is None:
        raise ValueError(f"{issuer} has no signing key.")
    return decrypt_private_key(key.private_key_encrypted), rsa_key_id(issuer, key)


def credential_jwt(assertion: Assertion, record: IssuedCredential) -> str:
    """The VC-JWT (RS256, the issuer's RSA key, named in its DID document)."""
    document = documents.credential_document(assertion, status_index=record.status_index,
                                             status=documents.REVOCATION_LIST)
    private, kid = _jwt_key(assertion.badge_class.issuer)
    return jwt_encode(document, key=private, kid=kid)


def credential_baked(source: bytes, image_type: str, credential: bytes) -> bytes:
    if image_type == "svg":
        return bake_svg_credential(source, credential.decode())
    return bake_png(source, credential.decode(), keyword=OB3_PNG_KEYWORD)


def credential_files(assertion: Assertion) -> list[tuple[Any, str]]:
    """The award's OB 3.0 baked image, as (storage, name), if it has one (``assertions.services.AWARD_FILES``)."""
    field = IssuedCredential._meta.get_field("baked_image")
    names = IssuedCredential.objects.filter(assertion_id=assertion.pk).exclude(baked_image="").values_list(
        "baked_image", flat=True)
    return [(field.storage, name) for name in names]  # type: ignore[attr-defined]


def credentials_bake(assertions: Sequence[Assertion]) -> None:
    """Bake each award's OB 3.0 image (the signed credential inside), in the award pipeline after the
    OB 2.0 bake: records made in one short transaction, then the images written and their names
    recorded in one statement. A failure is logged and leaves the image to be baked on its first
    request (a derived file: ``credential_bake`` rebuilds it at any time)."""
    if not assertions:
        return
    records = credentials_allocate(assertions)
    sources: dict[int, bytes] = {}
    signers: dict[int, Ed25519Signer] = {}
    endorsements: dict[int, list[dict[str, Any]]] = {}
    stored: list[IssuedCredential] = []
    files = NewFiles()
    with transaction.atomic():
        for assertion in assertions:
            record = records[assertion.pk]
            badge = assertion.badge_class
            try:
                if badge.pk not in sources:
                    with badge.image.open("rb") as fh:
                        sources[badge.pk] = fh.read()
                _bake_and_store(assertion, record, sources[badge.pk], signers, endorsements, files)
                stored.append(record)
            except (OSError, ValueError):
                logger.exception("Baking the OB 3.0 image of assertion %s failed", assertion.public_id)
        rows_update(IssuedCredential, "baked_image", [(r.pk, r.baked_image.name) for r in stored])


def credential_bake(assertion: Assertion, record: IssuedCredential, *, source: bytes | None = None) -> bytes:
    """Bake (or re-bake) the OB 3.0 image and store it, replacing an earlier file once this commits."""
    if source is None:
        with assertion.badge_class.image.open("rb") as fh:
            source = fh.read()
    with transaction.atomic():
        baked = _bake_and_store(assertion, record, source)
        IssuedCredential.objects.filter(pk=record.pk).update(baked_image=record.baked_image.name)
    return baked


def credential_baked_image(assertion: Assertion, record: IssuedCredential) -> bytes:
    """The award's OB 3.0 baked image as stored by the worker; baked (and stored) now if it has not yet."""
    name = record.baked_image.name
    if name and record.baked_image.storage.exists(name):
        with record.baked_image.open("rb") as fh:
            return fh.read()
    return credential_bake(assertion, record)


def _bake_and_store(assertion: Assertion, record: IssuedCredential, source: bytes,
                    signers: dict[int, Ed25519Signer] | None = None,
                    endorsements: dict[int, list[dict[str, Any]]] | None = None,
                    files: NewFiles | None = None) -> bytes:
    """Write the baked image under a new name on ``record`` (the caller records it); an earlier file is
    deleted once that commits. ``files``: the batch's writer (``issuers.files``)."""
    badge = assertion.badge_class
    signed = credential_signed(assertion, record, signers=signers, endorsements=endorsements)
    baked = credential_baked(source, badge.image_type, serialize(signed))
    old = record.baked_image.name if record.baked_image else ""
    name = (files or NewFiles()).store(record.baked_image, f"{assertion.public_id}.{badge.image_type}", baked)
    if old and old != name:
        storage = record.baked_image.storage
        transaction.on_commit(lambda: storage.delete(old))
    return baked


def status_list_signed(issuer: Issuer, number: int) -> dict[str, Any] | None:
    """The signed ``BitstringStatusListCredential`` ``number`` of ``issuer`` (None: no such list).

    Valid from the issuer's creation and signed as of then: what changes is only the bits, so the same
    revocations always give the same bytes (and a verifier whose clock is a second behind still accepts it)."""
    low, high = number * documents.LIST_SIZE, (number + 1) * documents.LIST_SIZE
    records = IssuedCredential.objects.filter(issuer=issuer, status_index__gte=low, status_index__lt=high)
    if number > 0 and not records.exists():
        return None
    revoked = list(records.filter(assertion__revoked=True).values_list("status_index", flat=True))
    moment = issuer.created_at.replace(microsecond=0)
    document = documents.status_list_document(issuer, number, revoked, valid_from=public_timestamp(moment))
    return proof_sign(document, signer(credential_key_active(issuer=issuer)), created=moment)


def revocation_list(issuer: Issuer) -> dict[str, Any]:
    revoked = Assertion.objects.filter(badge_class__issuer=issuer, revoked=True).order_by("revoked_at", "pk")
    return documents.revocation_list_document(issuer, list(revoked.values_list("public_id", "revocation_reason")))


def issuer_did_document(issuer: Issuer) -> dict[str, Any]:
    """Every Ed25519 and RSA key the issuer has had (retired ones too), under assertionMethod."""
    credential_key_active(issuer=issuer)  # so a new issuer's document already names its key
    multikeys = list(CredentialKey.objects.filter(issuer=issuer).order_by("created_at", "pk")
                     .values_list("public_key_multibase", flat=True))
    rsa_keys = list(SigningKey.objects.filter(issuer=issuer).order_by("created_at", "pk"))
    return did_document(issuer, multikeys, rsa_keys)
