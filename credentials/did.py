"""did:web for issuers: each issuer's DID names its public URL, so the DID document is served where
did:web resolves (``did:web:HOST%3APORT:public:issuers:<id>`` ->
``PUBLIC_BASE_URL/public/issuers/<id>/did.json``), with its Ed25519 keys as ``Multikey`` and its RSA
keys (VC-JWT) as ``JsonWebKey2020``, every one, retired ones too, under ``assertionMethod``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote, urlsplit

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.conf import settings

from credentials.jwt import public_jwk
from endorsements.models import EndorserProfile
from issuers.models import Issuer, SigningKey

DID_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1",
               "https://w3id.org/security/suites/jws-2020/v1"]


class DidError(ValueError):
    pass


def did_web(url: str) -> str:
    """The did:web of an https/http URL's host and path (``https://h:8000/a/b`` -> ``did:web:h%3A8000:a:b``)."""
    parts = urlsplit(url)
    segments = [quote(parts.netloc, safe="")] + [quote(unquote(s), safe="") for s in parts.path.split("/") if s]
    return "did:web:" + ":".join(segments)


def did_web_document_url(did: str) -> str:
    """Where a did:web's DID document is (did:web method spec, "Read"): ``https`` except on loopback
    hosts, where ``http`` is what a local server speaks."""
    if not did.startswith("did:web:"):
        raise DidError("This is not a did:web.")
    identifier = did.split("#", 1)[0].removeprefix("did:web:")
    segments = identifier.split(":")
    host = unquote(segments[0])
    if not host or "/" in host or any(not s for s in segments):
        raise DidError("The did:web has an empty or malformed part.")
    path = "/".join(unquote(s) for s in segments[1:])
    hostname = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    scheme = "http" if hostname in {"127.0.0.1", "localhost", "[::1]"} else "https"
    return f"{scheme}://{host}/{path}/did.json" if path else f"{scheme}://{host}/.well-known/did.json"


def issuer_url(issuer: Issuer) -> str:
    return f"{settings.PUBLIC_BASE_URL}/public/issuers/{issuer.public_id}"


def issuer_did(issuer: Issuer) -> str:
    return did_web(issuer_url(issuer))


def key_id(issuer: Issuer, public_key_multibase: str) -> str:
    return f"{issuer_did(issuer)}#{public_key_multibase}"


def rsa_key_id(issuer: Issuer, key: SigningKey) -> str:
    return f"{issuer_did(issuer)}#rsa-{key.public_id}"  # as did_document names it


def endorser_did(endorser: EndorserProfile) -> str:
    """An endorser's did:web names its public profile URL: ``/public/endorsers/<id>/did.json``."""
    return did_web(f"{settings.PUBLIC_BASE_URL}/public/endorsers/{endorser.public_id}")


def did_document(issuer: Issuer | EndorserProfile, multikeys: list[str], rsa_keys: list[SigningKey]
                 ) -> dict[str, Any]:
    """The DID document of an issuer (or endorser) listing every key it has had (so old credentials
    keep verifying)."""
    did = issuer_did(issuer) if isinstance(issuer, Issuer) else endorser_did(issuer)
    methods: list[dict[str, Any]] = [
        {"id": f"{did}#{multikey}", "type": "Multikey", "controller": did, "publicKeyMultibase": multikey}
        for multikey in multikeys
    ]
    for key in rsa_keys:
        public = load_pem_public_key(key.public_key_pem.encode())
        methods.append({"id": f"{did}#rsa-{key.public_id}", "type": "JsonWebKey2020", "controller": did,
                        "publicKeyJwk": public_jwk(public)})  # type: ignore[arg-type]
    ids = [method["id"] for method in methods]
    return {"@context": DID_CONTEXT, "id": did, "verificationMethod": methods,
            "assertionMethod": ids}
