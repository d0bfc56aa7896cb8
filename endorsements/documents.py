"""Open Badges 2.0 documents of endorsements: the endorser's ``Profile`` and each ``Endorsement``."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from assertions.documents import CONTEXT, public_url
from badges.models import BadgeClass
from endorsements.models import Endorsement, EndorserProfile
from issuers.dates import public_timestamp


def endorser_document(profile: EndorserProfile) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "Profile",
        "id": public_url("endorsers", profile.public_id),
        "name": profile.name,
        "url": profile.url,
        "email": profile.email,
        # Its endorsements are hosted by us, under this prefix.
        "verification": {"type": "hosted", "startsWith": f"{settings.PUBLIC_BASE_URL}/public/endorsements/"},
    }
    if profile.description:
        doc["description"] = profile.description
    if profile.logo:
        doc["image"] = public_url("endorsers", profile.public_id, "/image")
    return doc


def endorsement_document(endorsement: Endorsement) -> dict[str, Any]:
    endorsement_id = public_url("endorsements", endorsement.public_id)
    if endorsement.withdrawn_at is not None:
        return {"@context": CONTEXT, "type": "Endorsement", "id": endorsement_id, "revoked": True,
                "revocationReason": "Withdrawn by the endorser"}
    return {
        "@context": CONTEXT,
        "type": "Endorsement",
        "id": endorsement_id,
        "claim": {"id": public_url("badges", endorsement.badge_class.public_id),
                  "endorsementComment": endorsement.comment},
        "issuer": public_url("endorsers", endorsement.endorser.public_id),
        "issuedOn": public_timestamp(endorsement.issued_on),
        "verification": {"type": "HostedBadge"},
    }


def live_endorsements(badge: BadgeClass) -> list[Endorsement]:
    """Endorsements not withdrawn. Call inside the badge's tenant scope (or a public unscoped view)."""
    return list(Endorsement.objects.select_related("endorser").filter(badge_class=badge, withdrawn_at=None)
                .order_by("issued_on"))


def endorsement_urls(badge: BadgeClass) -> list[str]:
    """For the badge class document's ``endorsement`` property."""
    return [public_url("endorsements", e.public_id) for e in live_endorsements(badge)]
