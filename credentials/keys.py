"""Issuers' Ed25519 keys for Open Badges 3.0: the one active key of an issuer (created when first
needed), rotation (a new key signs; the old ones stay published in the DID document, retired), and
the :class:`credentials.proof.Signer` of a key. Private keys are encrypted at rest by
``issuers.keys`` under ``KEY_ENCRYPTION_KEYS`` and decrypted only in memory, to sign.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.db import IntegrityError, transaction
from django.utils import timezone

from credentials.did import key_id
from credentials.models import CredentialKey, EndorserKey
from credentials.multibase import multikey_from_public_key
from credentials.proof import Ed25519Signer
from endorsements.models import EndorserProfile
from issuers.context import ActorLike
from issuers.keys import decrypt_secret, encrypt_secret
from issuers.models import Issuer
from issuers.services import audit_record, publication_notify


def _new_pair() -> dict[str, Any]:
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return {"public_key_multibase": multikey_from_public_key(private.public_key()),
            "private_key_encrypted": encrypt_secret(raw)}


def _new_key(issuer: Issuer) -> CredentialKey:
    return CredentialKey.objects.create(tenant=issuer.tenant, issuer=issuer, **_new_pair())


def endorser_key_active(*, endorser: EndorserProfile) -> EndorserKey:
    """The endorser's signing key, created on first use."""
    key = EndorserKey.objects.filter(endorser=endorser, retired_at=None).first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            return EndorserKey.objects.create(endorser=endorser, **_new_pair())
    except IntegrityError:
        return EndorserKey.objects.get(endorser=endorser, retired_at=None)


def credential_key_active(*, issuer: Issuer) -> CredentialKey:
    """The issuer's key that signs now, created on first use (two workers racing get the same one)."""
    key = CredentialKey.objects.filter(issuer=issuer, retired_at=None).first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            return _new_key(issuer)
    except IntegrityError:  # another process made it first (one active key per issuer)
        return CredentialKey.objects.get(issuer=issuer, retired_at=None)


@transaction.atomic
def credential_key_rotate(*, issuer: Issuer, actor: ActorLike) -> CredentialKey:
    """A new key signs from now on; the earlier ones are retired and stay published."""
    CredentialKey.objects.filter(issuer=issuer, retired_at=None).update(retired_at=timezone.now())
    key = _new_key(issuer)
    # Its DID document lists it and its status lists are signed by it. (An issuer's first key needs no such
    # word: every document that names a key makes the first one before it is built.)
    publication_notify(issuer_keys_id=issuer.public_id)
    audit_record(tenant=issuer.tenant, action="credential_key.rotate", actor=actor, obj=key,
                 summary=f"New Open Badges 3.0 key for {issuer}")
    return key


def private_key(key: CredentialKey | EndorserKey) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(decrypt_secret(key.private_key_encrypted))


def signer(key: CredentialKey, issuer: Issuer | None = None) -> Ed25519Signer:
    """What signs with ``key`` (decrypted once, kept only in memory); ``issuer``: the key's, if at hand."""
    return Ed25519Signer(private_key(key), key_id(issuer or key.issuer, key.public_key_multibase))
