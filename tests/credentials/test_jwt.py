"""VC-JWT (credentials.jwt): the registered claims the spec maps, the header it allows, and a
signature that only the right key verifies."""

from __future__ import annotations

import base64
import json

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from credentials.jwt import jwt_encode, jwt_header, jwt_verify, public_jwk

CREDENTIAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:uuid:3f6a", "type": ["VerifiableCredential"],
    "issuer": {"id": "did:web:badges.example:public:issuers:1", "type": ["Profile"]},
    "validFrom": "2026-09-01T00:00:00Z", "validUntil": "2027-09-01T00:00:00Z",
    "credentialSubject": {"type": ["AchievementSubject"]},
}
RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_the_jwt_carries_the_credential_and_the_mapped_claims():
    token = jwt_encode({**CREDENTIAL, "proof": [{"type": "x"}]}, key=RSA, kid="did:web:x#rsa-1")
    assert jwt_header(token) == {"alg": "RS256", "kid": "did:web:x#rsa-1", "typ": "JWT"}
    result = jwt_verify(token, RSA.public_key())
    assert result.valid, result.message
    assert result.credential == CREDENTIAL  # no proof: the JWS is the proof
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert payload["iss"] == CREDENTIAL["issuer"]["id"]
    assert payload["jti"] == "urn:uuid:3f6a"
    assert payload["nbf"] == 1788220800
    assert payload["exp"] == 1819756800
    assert "sub" not in payload


def test_es256_keys_sign_too_and_a_public_jwk_verifies():
    key = ec.generate_private_key(ec.SECP256R1())
    token = jwt_encode(CREDENTIAL, key=key, kid="k")
    assert jwt_header(token)["alg"] == "ES256"
    assert jwt_verify(token, public_jwk(key))


def test_another_key_does_not_verify():
    token = jwt_encode(CREDENTIAL, key=RSA, kid="k")
    assert not jwt_verify(token, rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key())


def test_a_tampered_payload_does_not_verify():
    header, _payload, signature = jwt_encode(CREDENTIAL, key=RSA, kid="k").split(".")
    forged = f"{header}.{_b64({**CREDENTIAL, 'name': 'forged'})}.{signature}"
    assert not jwt_verify(forged, RSA.public_key())


def test_headers_vc_jwt_does_not_allow_are_refused():
    token = jwt_encode(CREDENTIAL, key=RSA, kid="k")
    for header in ({"alg": "RS256", "kid": "k", "crit": ["x"]}, {"alg": "none"}, {"alg": "HS256"},
                   {"alg": "RS256", "typ": "vc+ld+jwt"}):
        forged = f"{_b64(header)}.{token.split('.', 1)[1]}"
        result = jwt_verify(forged, RSA.public_key())
        assert not result.valid
        assert result.message


def test_claims_that_disagree_with_the_credential_are_refused():
    from joserfc import jwt as jose_jwt

    from credentials.jwt import jose_key

    token = jose_jwt.encode({"alg": "RS256", "typ": "JWT"}, {**CREDENTIAL, "iss": "did:web:someone-else",
                                                             "jti": "urn:uuid:3f6a", "nbf": 1788220800,
                                                             "exp": 1819756800}, jose_key(RSA))
    result = jwt_verify(token, RSA.public_key())
    assert not result.valid
    assert "iss" in result.message


def test_garbage_is_refused_with_a_reason():
    for token in ["", "a.b", "a.b.c", "x" * 2_000_000, 5]:
        result = jwt_verify(token, RSA.public_key())  # type: ignore[arg-type]
        assert not result.valid
        assert result.message
