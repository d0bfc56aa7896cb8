"""Key proofs of type ``jwt`` (OpenID4VCI 1.0 appendix F.1): the wallet signs a JWT over our
``c_nonce`` with the key the credential is to be bound to, named by ``kid`` (a ``did:key`` or
``did:jwk`` DID URL) or given as ``jwk``. What comes out is the holder's DID, the credential's
``credentialSubject.id``: the DID of the ``kid``, or the ``did:jwk`` of a bare ``jwk``.

Signatures are checked by joserfc (the JOSE library ``credentials.jwt`` uses); this module only
applies the spec's rules. Every refusal is a :class:`ProofError` with a message for the wallet.
"""

from __future__ import annotations

import base64
import json
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning

from credentials.jwt import JoseKey, jose_key
from credentials.multibase import MultibaseError, public_key_from_multikey

PROOF_TYP = "openid4vci-proof+jwt"
ALGORITHMS = ("EdDSA", "Ed25519", "ES256")  # EdDSA: what wallets send; Ed25519: its RFC 9864 name
MAX_PROOF = 20_000
CLOCK_SKEW = 300  # seconds either side of now that a proof's iat may be


class ProofError(ValueError):
    pass


@dataclass(frozen=True)
class ProvenKey:
    holder: str  # the DID the credential is bound to
    nonce: str  # the c_nonce the proof signs over (the caller checks it is ours and unused)


def _b64json(part: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProofError("The proof is not a JWT (a part is not base64url JSON).") from exc


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _public_jwk(jwk: Any) -> dict[str, Any]:
    if not isinstance(jwk, dict) or "d" in jwk:
        raise ProofError("The proof's jwk must be a public key.")
    return dict(jose_key(jwk).as_dict(private=False))


def did_jwk(jwk: dict[str, Any]) -> str:
    members = {name: jwk[name] for name in ("crv", "kty", "x", "y") if name in jwk}
    return "did:jwk:" + _b64url(json.dumps(members, separators=(",", ":"), sort_keys=True).encode())


def _key_of_kid(kid: str) -> tuple[str, JoseKey]:
    did = kid.split("#", 1)[0]
    if did.startswith("did:key:"):
        try:
            return did, jose_key(public_key_from_multikey(did.removeprefix("did:key:")))
        except MultibaseError as exc:
            raise ProofError(f"The proof's did:key is not an Ed25519 key: {exc}") from exc
    if did.startswith("did:jwk:"):
        jwk = _b64json(did.removeprefix("did:jwk:"))
        return did, jose_key(_public_jwk(jwk))
    raise ProofError("The proof's kid must be a did:key or did:jwk DID URL (or send the key as jwk).")


def holder_key(header: dict[str, Any]) -> tuple[str, JoseKey]:
    """The holder's DID and public key, from the proof's header (exactly one of ``kid`` and ``jwk``)."""
    if ("kid" in header) == ("jwk" in header) or "x5c" in header:
        raise ProofError("The proof's header must name the key by kid (a DID URL) or give it as jwk, not both.")
    try:
        if "kid" in header:
            if not isinstance(header["kid"], str):
                raise ProofError("The proof's kid is not a string.")
            return _key_of_kid(header["kid"])
        jwk = _public_jwk(header["jwk"])
        return did_jwk(jwk), jose_key(jwk)
    except (ValueError, TypeError) as exc:
        if isinstance(exc, ProofError):
            raise
        raise ProofError(f"The proof's key cannot be read: {exc}") from exc


def proof_check(token: Any, *, audience: str, now: datetime) -> ProvenKey:
    """The holder and nonce of a valid key proof for ``audience`` (the credential issuer identifier)."""
    if not isinstance(token, str) or len(token) > MAX_PROOF or token.count(".") != 2:
        raise ProofError("The proof is not a compact JWT.")
    header = _b64json(token.split(".", 1)[0])
    if not isinstance(header, dict):
        raise ProofError("The proof's header is not a JSON object.")
    if header.get("typ") != PROOF_TYP:
        raise ProofError(f"The proof's typ must be {PROOF_TYP}.")
    if header.get("alg") not in ALGORITHMS:
        raise ProofError(f"The proof's alg must be one of {', '.join(ALGORITHMS)}.")
    holder, key = holder_key(header)
    try:
        with warnings.catch_warnings():
            # joserfc warns that RFC 9864 deprecates "EdDSA"; wallets send it, and it is Ed25519 here (an OKP key).
            warnings.simplefilter("ignore", SecurityWarning)
            signed = jws.deserialize_compact(token, key, algorithms=list(ALGORITHMS))
    except (JoseError, ValueError, TypeError) as exc:
        raise ProofError(f"The proof's signature is not valid ({exc.__class__.__name__}).") from exc
    claims = _claims(signed.payload)
    aud = claims.get("aud")
    if aud != audience and not (isinstance(aud, list) and audience in aud):
        raise ProofError(f"The proof's aud must be this credential issuer, {audience}.")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool) or abs(iat - now.timestamp()) > CLOCK_SKEW:
        raise ProofError("The proof's iat is missing or not within five minutes of now.")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise ProofError("The proof has no nonce: ask the nonce endpoint for one and sign over it.")
    return ProvenKey(holder=holder, nonce=nonce)


def _claims(payload: bytes) -> dict[str, Any]:
    try:
        claims = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProofError("The proof's payload is not JSON.") from exc
    if not isinstance(claims, dict):
        raise ProofError("The proof's payload is not a JSON object.")
    return claims
