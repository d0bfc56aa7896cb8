"""The Open Badges 3.0 documents, built from the database: an award's ``OpenBadgeCredential`` (from
the same assertion row as its OB 2.0 assertion), the issuer's ``BitstringStatusListCredential`` and
its ``1EdTechRevocationList``.

URL contract (stable for as long as the issuer exists): ``/public/credentials/<assertion id>`` (and
``/jwt``, ``/image``); ``/public/issuers/<id>/did.json``, ``/public/issuers/<id>/status/<n>`` and
``/public/issuers/<id>/credential-revocations``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings

from assertions.links import credential_url
from assertions.models import Assertion
from badges.models import BadgeClass
from credentials.did import endorser_did, issuer_did, issuer_url
from credentials.jsonld import CREDENTIAL_CONTEXT, OB_V3, VC_V2
from credentials.statuslist import MIN_ENTRIES, encode
from endorsements.models import Endorsement
from issuers.dates import public_timestamp
from issuers.models import Issuer

SCHEMA_URL = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
SCHEMA_TYPE = "1EdTechJsonSchemaValidator2019"
LIST_SIZE = MIN_ENTRIES  # entries per status list; index n is in list n // LIST_SIZE
IDENTITY_TYPES: dict[str, str] = {Assertion.RecipientType.EMAIL: "emailAddress", Assertion.RecipientType.URL: "url",
                                  Assertion.RecipientType.TELEPHONE: "phoneNumber"}
BITSTRING = "bitstring"
REVOCATION_LIST = "1edtech"


def public_url(path: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/public/{path}"


def status_list_url(issuer: Issuer, number: int) -> str:
    return f"{issuer_url(issuer)}/status/{number}"


def revocation_list_url(issuer: Issuer) -> str:
    return f"{issuer_url(issuer)}/credential-revocations"


def profile(issuer: Issuer) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": issuer_did(issuer), "type": ["Profile"], "name": issuer.name, "url": issuer.url,
                           "email": issuer.email}
    if issuer.description:
        doc["description"] = issuer.description
    if issuer.image:
        doc["image"] = {"id": public_url(f"issuers/{issuer.public_id}/image"), "type": "Image"}
    return doc


def _credits(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def achievement(badge: BadgeClass) -> dict[str, Any]:
    criteria: dict[str, Any] = {}
    if badge.criteria_url:
        criteria["id"] = badge.criteria_url
    criteria["narrative"] = badge.criteria_narrative or badge.description
    doc: dict[str, Any] = {
        "id": public_url(f"badges/{badge.public_id}"), "type": ["Achievement"], "name": badge.name,
        "description": badge.description, "criteria": criteria,
        "image": {"id": public_url(f"badges/{badge.public_id}/image"), "type": "Image"},
    }
    if badge.achievement_type:
        doc["achievementType"] = badge.achievement_type
    if badge.credits_available is not None:
        doc["creditsAvailable"] = _credits(badge.credits_available)
    for field, name in (("field_of_study", "fieldOfStudy"), ("human_code", "humanCode"),
                        ("in_language", "inLanguage")):
        if getattr(badge, field):
            doc[name] = getattr(badge, field)
    if badge.alignments:
        doc["alignment"] = [{"type": ["Alignment"], **{k: v for k, v in a.items() if v}} for a in badge.alignments]
    if badge.tags:
        doc["tag"] = list(badge.tags)
    return doc


def endorsement_credential(endorsement: Endorsement) -> dict[str, Any]:
    """The unsigned OB 3.0 ``EndorsementCredential`` of a live endorsement (its endorser signs it)."""
    endorser = endorsement.endorser
    profile_doc: dict[str, Any] = {"id": endorser_did(endorser), "type": ["Profile"], "name": endorser.name,
                                   "url": endorser.url, "email": endorser.email}
    if endorser.description:
        profile_doc["description"] = endorser.description
    badge = endorsement.badge_class
    return {
        "@context": [VC_V2, OB_V3],
        "id": public_url(f"endorsements/{endorsement.public_id}"),
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": f"{endorser.name} endorses {badge.name}",
        "issuer": profile_doc,
        "validFrom": public_timestamp(endorsement.issued_on),
        "credentialSubject": {"id": public_url(f"badges/{badge.public_id}"), "type": ["EndorsementSubject"],
                              "endorsementComment": endorsement.comment},
    }


def credential_status(issuer: Issuer, index: int, kind: str = BITSTRING) -> dict[str, Any]:
    if kind == REVOCATION_LIST:
        return {"id": revocation_list_url(issuer), "type": "1EdTechRevocationList"}
    list_url = status_list_url(issuer, index // LIST_SIZE)
    return {"id": f"{list_url}#{index % LIST_SIZE}", "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation", "statusListIndex": str(index % LIST_SIZE),
            "statusListCredential": list_url}


def credential_document(assertion: Assertion, *, status_index: int, status: str = BITSTRING,
                        endorsements: list[dict[str, Any]] | None = None, subject_id: str = "") -> dict[str, Any]:
    """The unsigned ``OpenBadgeCredential`` of ``assertion`` (the caller adds the proof or signs a JWT).

    ``status``: a ``BitstringStatusListEntry`` (the JSON and baked images), or the issuer's
    ``1EdTechRevocationList`` (the VC-JWT, as 1EdTech's own verifiers read it). Both change together.
    ``endorsements``: the badge class's signed ``EndorsementCredential``s, embedded in the achievement
    as OB 3.0 describes. ``subject_id``: the holder's DID, when a wallet proved it holds that key (the
    hashed email stays beside it)."""
    badge = assertion.badge_class
    issuer = badge.issuer
    doc: dict[str, Any] = {
        "@context": list(CREDENTIAL_CONTEXT),
        "id": credential_url(assertion.public_id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": profile(issuer),
        "validFrom": public_timestamp(assertion.issued_on),
        "name": badge.name,
        "credentialSubject": {
            **({"id": subject_id} if subject_id else {}),
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "identityHash": assertion.recipient_hash,
                            "identityType": IDENTITY_TYPES.get(assertion.recipient_type, "emailAddress"),
                            "hashed": True, "salt": assertion.recipient_salt}],
            "achievement": {**achievement(badge), **({"endorsement": endorsements} if endorsements else {})},
        },
        "credentialSchema": [{"id": SCHEMA_URL, "type": SCHEMA_TYPE}],
        "credentialStatus": credential_status(issuer, status_index, status),
    }
    if assertion.expires:
        doc["validUntil"] = public_timestamp(assertion.expires)
    evidence = [{"type": ["Evidence"], **{k: v for k, v in e.items() if v}} for e in assertion.evidence]
    if assertion.narrative:
        evidence.append({"type": ["Evidence"], "narrative": assertion.narrative})
    if evidence:
        doc["evidence"] = evidence
    return doc


def status_list_document(issuer: Issuer, number: int, revoked_indexes: list[int], *, valid_from: str
                         ) -> dict[str, Any]:
    """The unsigned ``BitstringStatusListCredential`` number ``number`` of ``issuer``."""
    url = status_list_url(issuer, number)
    return {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did(issuer),
        "validFrom": valid_from,
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
                              "encodedList": encode(i - number * LIST_SIZE for i in revoked_indexes)},
    }


def revocation_list_document(issuer: Issuer, revoked: list[tuple[object, str]]) -> dict[str, Any]:
    """The ``1EdTechRevocationList``: ``revoked`` is (assertion public id, reason) of every revoked award."""
    return {
        "id": revocation_list_url(issuer),
        "issuer": issuer_did(issuer),
        "revokedCredentials": [{"id": credential_url(pid), **({"revocationReason": reason} if reason else {})}
                               for pid, reason in revoked],
    }
