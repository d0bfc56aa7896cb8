"""Data Integrity proofs, cryptosuite ``eddsa-rdfc-2022`` (W3C vc-di-eddsa), the only linked-data
suite the 1EdTech conformance tests accept.

Signing: the document without ``proof`` and the proof's options without ``proofValue`` (given the
document's ``@context``) are each canonicalised with RDFC-1.0 (``credentials.rdfc``; signing takes
the fast path of ``credentials.fastrdfc``, verifying the general one);
SHA-256(options) + SHA-256(document) is signed with Ed25519 and the signature is ``proofValue``
(multibase base58btc). Verifying repeats that with the public key. Both are bounded in work.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials.fastrdfc import canonicalize_fast
from credentials.jsonld import JsonLdError
from credentials.multibase import MultibaseError, base58btc, from_base58btc, public_key_from_multikey
from credentials.rdfc import canonicalize
from issuers.dates import public_timestamp

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"


class Signer(Protocol):
    """What signs: a private Ed25519 key and the verification method (a DID URL) that names its public key."""

    @property
    def verification_method(self) -> str: ...

    def private_key(self) -> Ed25519PrivateKey: ...


@dataclass(frozen=True)
class Ed25519Signer:
    """A :class:`Signer` from a key in memory (``credentials.keys.signer`` makes one of a stored key)."""

    key: Ed25519PrivateKey
    verification_method: str

    def private_key(self) -> Ed25519PrivateKey:
        return self.key


@dataclass(frozen=True)
class ProofResult:
    valid: bool
    message: str

    def __bool__(self) -> bool:
        return self.valid


def unsecured(document: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in document.items() if name != "proof"}


def proof_options(*, verification_method: str, created: str) -> dict[str, Any]:
    return {"type": PROOF_TYPE, "created": created, "verificationMethod": verification_method,
            "cryptosuite": CRYPTOSUITE, "proofPurpose": "assertionMethod"}


def proof_config(options: dict[str, Any], context: Any) -> dict[str, Any]:
    config = {name: value for name, value in options.items() if name != "proofValue"}
    config["@context"] = context
    return config


def hash_data(canonical_config: str, canonical_document: str) -> bytes:
    return hashlib.sha256(canonical_config.encode()).digest() + hashlib.sha256(canonical_document.encode()).digest()



@lru_cache(maxsize=256)  # a batch's proofs share their key and, mostly, their time
def _canonical_config(verification_method: str, created: str, context: tuple[str, ...]) -> str:
    options = proof_options(verification_method=verification_method, created=created)
    return canonicalize_fast(proof_config(options, list(context)))


def proof_sign(document: dict[str, Any], key: Signer, *, created: datetime | None = None) -> dict[str, Any]:
    """``document`` with a new ``proof`` (a one-item list, as the 1EdTech schema wants). Canonicalised
    by the fast path (``credentials.fastrdfc``: the same bytes as RDFC-1.0, from a kept template)."""
    body = unsecured(document)
    options = proof_options(verification_method=key.verification_method,
                            created=public_timestamp(created or datetime.now(UTC)))
    context = body.get("@context")
    canonical_config = (_canonical_config(options["verificationMethod"], options["created"], tuple(context))
                        if isinstance(context, list) and all(isinstance(c, str) for c in context)
                        else canonicalize_fast(proof_config(options, context)))
    signature = key.private_key().sign(hash_data(canonical_config, canonicalize_fast(body)))
    return {**body, "proof": [{**options, "proofValue": base58btc(signature)}]}


def _the_proof(document: dict[str, Any]) -> dict[str, Any] | str:
    proofs = document.get("proof")
    if isinstance(proofs, dict):
        proofs = [proofs]
    if not isinstance(proofs, list) or not proofs:
        return "The credential has no proof."
    ours = [p for p in proofs if isinstance(p, dict) and p.get("type") == PROOF_TYPE
            and p.get("cryptosuite") == CRYPTOSUITE]
    if not ours:
        return f"The credential has no {PROOF_TYPE} proof with cryptosuite {CRYPTOSUITE}."
    if len(ours) > 1:
        return f"The credential has more than one {CRYPTOSUITE} proof."
    return ours[0]


def proof_verify(document: dict[str, Any], public_key_multibase: str) -> ProofResult:
    """Whether ``document``'s eddsa-rdfc-2022 proof is a valid signature by the Ed25519 key
    ``public_key_multibase`` (a Multikey ``z6Mk...``). Never raises for bad input: the message says why."""
    if not isinstance(document, dict):
        return ProofResult(False, "The credential is not a JSON object.")
    proof = _the_proof(document)
    if isinstance(proof, str):
        return ProofResult(False, proof)
    if proof.get("proofPurpose") != "assertionMethod":
        return ProofResult(False, "The proof's purpose is not assertionMethod.")
    body = unsecured(document)
    if "@context" in proof and proof["@context"] != body.get("@context"):
        return ProofResult(False, "The proof's @context differs from the credential's.")
    try:
        public_key = public_key_from_multikey(public_key_multibase)
        signature = from_base58btc(proof.get("proofValue"))  # type: ignore[arg-type]
    except MultibaseError as exc:
        return ProofResult(False, str(exc))
    if len(signature) != 64:
        return ProofResult(False, "The proofValue is not an Ed25519 signature.")
    try:
        data = hash_data(canonicalize(proof_config(proof, body.get("@context"))), canonicalize(body))
    except JsonLdError as exc:
        return ProofResult(False, str(exc))
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return ProofResult(False, "The signature does not match the credential: "
                                  "it was changed, or signed by another key.")
    return ProofResult(True, f"The {CRYPTOSUITE} signature is valid.")
