"""Open Badges 2.0 JSON-LD documents, built from the database. Every ``id`` is the public URL.

The URL contract (kept stable for as long as the issuer exists):
``/public/issuers/<id>``, ``/public/badges/<id>``, ``/public/assertions/<id>``,
``/public/issuers/<id>/revocations``, ``/public/keys/<id>`` and the ``/image`` URLs.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from assertions.models import Assertion
from badges.models import BadgeClass
from issuers.dates import public_timestamp
from issuers.models import Issuer, SigningKey

CONTEXT = "https://w3id.org/openbadges/v2"


def public_url(kind: str, public_id: object, suffix: str = "") -> str:
    return f"{settings.PUBLIC_BASE_URL}/public/{kind}/{public_id}{suffix}"


def issuer_document(issuer: Issuer) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": public_url("issuers", issuer.public_id),
        "name": issuer.name,
        "url": issuer.url,
        "email": issuer.email,
        "revocationList": public_url("issuers", issuer.public_id, "/revocations"),
        "publicKey": [public_url("keys", k.public_id) for k in issuer.signing_keys.all()],
        # The reference validator refuses allowedOrigins with a port, so use startsWith.
        "verification": {"type": "hosted", "startsWith": f"{settings.PUBLIC_BASE_URL}/public/assertions/"},
    }
    if issuer.description:
        doc["description"] = issuer.description
    if issuer.image:
        doc["image"] = public_url("issuers", issuer.public_id, "/image")
    return doc


def key_document(key: SigningKey) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "type": "CryptographicKey",
        "id": public_url("keys", key.public_id),
        "owner": public_url("issuers", key.issuer.public_id),
        "publicKeyPem": key.public_key_pem,
    }


def badge_document(badge: BadgeClass, *, endorsements: list[str] | None = None) -> dict[str, Any]:
    """``endorsements``: the URLs of its live endorsements (the endorsements layer knows them)."""
    criteria: dict[str, Any] = {}
    if badge.criteria_url:
        criteria["id"] = badge.criteria_url
    if badge.criteria_narrative:
        criteria["narrative"] = badge.criteria_narrative
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "BadgeClass",
        "id": public_url("badges", badge.public_id),
        "name": badge.name,
        "description": badge.description,
        "image": public_url("badges", badge.public_id, "/image"),
        "criteria": criteria or {"narrative": badge.description},
        "issuer": public_url("issuers", badge.issuer.public_id),
    }
    if badge.alignments:
        doc["alignment"] = [{k: v for k, v in a.items() if v} for a in badge.alignments]
    if badge.tags:
        doc["tags"] = list(badge.tags)
    if endorsements:
        doc["endorsement"] = list(endorsements)
    return doc


def assertion_document(assertion: Assertion) -> dict[str, Any]:
    """The assertion as published. A revoked one is reduced to what the spec asks for."""
    assertion_id = public_url("assertions", assertion.public_id)
    if assertion.revoked:
        return {"@context": CONTEXT, "type": "Assertion", "id": assertion_id, "revoked": True,
                "revocationReason": assertion.revocation_reason}
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": assertion_id,
        "recipient": {
            "type": assertion.recipient_type,
            "hashed": True,
            "salt": assertion.recipient_salt,
            "identity": assertion.recipient_hash,
        },
        "badge": public_url("badges", assertion.badge_class.public_id),
        "issuedOn": public_timestamp(assertion.issued_on),
        "image": public_url("assertions", assertion.public_id, "/image"),
    }
    if assertion.verification_type == Assertion.Verification.SIGNED:
        assert assertion.signing_key is not None  # a signed assertion records the key that signs it
        doc["verification"] = {"type": "SignedBadge", "creator": public_url("keys", assertion.signing_key.public_id)}
    else:
        doc["verification"] = {"type": "HostedBadge"}
    if assertion.expires:
        doc["expires"] = public_timestamp(assertion.expires)
    if assertion.evidence:
        doc["evidence"] = [{k: v for k, v in e.items() if v} for e in assertion.evidence]
    if assertion.narrative:
        doc["narrative"] = assertion.narrative
    return doc


def revocation_list_document(issuer: Issuer) -> dict[str, Any]:
    revoked = Assertion.objects.filter(badge_class__issuer=issuer, revoked=True).only("public_id", "revocation_reason")
    return {
        "@context": CONTEXT,
        "type": "RevocationList",
        "id": public_url("issuers", issuer.public_id, "/revocations"),
        "issuer": public_url("issuers", issuer.public_id),
        "revokedAssertions": [
            {"id": public_url("assertions", a.public_id), "revocationReason": a.revocation_reason} for a in revoked
        ],
    }


def serialize(doc: dict[str, Any]) -> bytes:
    """The one serialisation used both by the public URL and inside baked images (byte-equal)."""
    import json

    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
