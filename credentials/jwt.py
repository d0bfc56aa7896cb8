"""VC-JWT (OB 3.0 section 8.2): the credential as the claims of a compact JWS, with the registered
claims the spec maps from it (``iss`` = issuer id, ``jti`` = id, ``sub`` = credentialSubject id,
``nbf``/``exp`` = validFrom/validUntil as NumericDate). The header is ``{alg, kid, typ: "JWT"}``;
a verifier refuses any other header parameter.

Signing and verifying are done by joserfc (a maintained JOSE library: RFC 7515/7517/7518/7519/8037,
typed); this module only maps the credential to claims and checks the spec's rules.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc import jwt as jose_jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey

ALLOWED_HEADER = frozenset({"alg", "kid", "jwk", "typ"})
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")
MAX_TOKEN = 1_000_000

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
JoseKey = RSAKey | ECKey | OKPKey


class JwtError(ValueError):
    pass


@dataclass(frozen=True)
class JwtResult:
    valid: bool
    message: str
    header: dict[str, Any] = field(default_factory=dict)
    credential: dict[str, Any] | None = None

    def __bool__(self) -> bool:
        return self.valid


def numeric_date(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp())


def _algorithm(key: PrivateKey) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS256"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "ES256"
    return "EdDSA"


def jose_key(key: Any) -> JoseKey:
    """A joserfc key from a ``cryptography`` key (private or public) or a public JWK dict."""
    if isinstance(key, dict):
        kinds: dict[str, Any] = {"RSA": RSAKey, "EC": ECKey, "OKP": OKPKey}
        kind = kinds.get(key.get("kty", ""))
        if kind is None:
            raise JwtError("The key is not an RSA, EC or OKP JWK.")
        try:
            return kind.import_key({name: value for name, value in key.items() if name != "d"})  # type: ignore[no-any-return]
        except (JoseError, ValueError, TypeError) as exc:
            raise JwtError(f"The JWK cannot be read: {exc}") from exc
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return RSAKey.import_key(key)
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return ECKey.import_key(key)
    return OKPKey.import_key(key)


def public_jwk(key: PrivateKey | rsa.RSAPublicKey) -> dict[str, Any]:
    """The public half of ``key`` as a JWK (for a DID document's ``publicKeyJwk``)."""
    return dict(jose_key(key).as_dict(private=False))


def registered_claims(credential: dict[str, Any]) -> dict[str, Any]:
    issuer = credential.get("issuer")
    claims: dict[str, Any] = {"iss": issuer.get("id") if isinstance(issuer, dict) else issuer,
                              "jti": credential.get("id"), "nbf": numeric_date(credential["validFrom"])}
    subject = credential.get("credentialSubject")
    if isinstance(subject, dict) and subject.get("id"):
        claims["sub"] = subject["id"]
    if credential.get("validUntil"):
        claims["exp"] = numeric_date(credential["validUntil"])
    return claims


def jwt_encode(credential: dict[str, Any], *, key: PrivateKey, kid: str) -> str:
    """The compact JWS of ``credential`` (without any embedded ``proof``), signed by ``key``."""
    body = {name: value for name, value in credential.items() if name != "proof"}
    header = {"alg": _algorithm(key), "kid": kid, "typ": "JWT"}
    return jose_jwt.encode(header, {**body, **registered_claims(body)}, jose_key(key))


def jwt_header(token: str) -> dict[str, Any]:
    """The header of a compact JWS, unverified (to find the key its ``kid`` names)."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN or token.count(".") != 2:
        raise JwtError("This is not a compact JWS (three base64url parts separated by dots).")
    part = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, UnicodeDecodeError) as exc:
        raise JwtError("The JWS header is not base64url JSON.") from exc
    if not isinstance(header, dict):
        raise JwtError("The JWS header is not a JSON object.")
    return header


def _claims_match(credential: dict[str, Any]) -> str | None:
    try:
        expected = registered_claims(credential)
    except (KeyError, TypeError, ValueError):
        return "The credential in the JWT has no valid validFrom."
    for name, value in expected.items():
        if credential.get(name) != value:
            return f"The JWT claim {name} does not match the credential."
    if "exp" in credential and "exp" not in expected:
        return "The JWT has exp but the credential has no validUntil."
    return None


def jwt_verify(token: str, public_key: Any) -> JwtResult:
    """Whether ``token`` is a VC-JWT signed by ``public_key`` (a ``cryptography`` public key or a
    public JWK) whose registered claims match its credential. Never raises for bad input."""
    try:
        header = jwt_header(token)
    except JwtError as exc:
        return JwtResult(False, str(exc))
    extra = sorted(set(header) - ALLOWED_HEADER)
    if extra:
        return JwtResult(False, f"The JWT header has parameters VC-JWT does not allow: {', '.join(extra)}.", header)
    if "typ" in header and header["typ"] != "JWT":
        return JwtResult(False, "The JWT header's typ is not JWT.", header)
    if header.get("alg") not in ALGORITHMS:
        return JwtResult(False, f"The JWT algorithm {header.get('alg')!r} is not accepted.", header)
    try:
        decoded = jose_jwt.decode(token, jose_key(public_key), algorithms=list(ALGORITHMS))
    except JwtError as exc:
        return JwtResult(False, str(exc), header)
    except (JoseError, ValueError, TypeError) as exc:
        return JwtResult(False, f"The JWT signature is not valid ({exc.__class__.__name__}).", header)
    claims = dict(decoded.claims)
    problem = _claims_match(claims)
    if problem:
        return JwtResult(False, problem, header)
    credential = {name: value for name, value in claims.items() if name not in {"iss", "jti", "nbf", "sub", "exp"}}
    return JwtResult(True, f"The {header['alg']} signature is valid.", header, credential)
