"""The employer's summary of a verified badge (what the result page shows: the achievement, evidence,
dates, issuer), built once for both standards. Each standard has a small adapter that says where its
documents keep each fact (``ob2_facts``: the assertion, its badge class and issuer; ``ob3_facts``: the
credential's subject, achievement and issuer); ``badge_summary`` does the rest. Every value is cut to a
length and every link must be http(s) (or a data: image), because the documents may be anyone's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from issuers.dates import public_timestamp


@dataclass(frozen=True)
class BadgeFacts:
    """Where one standard's documents keep the facts of the summary."""

    achievement: dict[str, Any]  # id, name, description, image, criteria, alignment (OB 2.0: the badge class)
    issuer: dict[str, Any]
    issuer_id: str | None
    standard: str
    verification: str  # signed or hosted
    tags: Any = None
    evidence: list[Any] = field(default_factory=list)  # each a dict (or, OB 2.0, a URL)
    narrative: Any = None
    issued: datetime | None = None
    expires: datetime | None = None
    endorsements: list[dict[str, Any]] = field(default_factory=list)


def ob2_facts(assertion: dict[str, Any], badge: dict[str, Any], issuer: dict[str, Any], *,
              issued: datetime | None, expires: datetime | None,
              endorsements: list[dict[str, Any]]) -> BadgeFacts:
    verification = assertion.get("verification")
    kind = text(verification.get("type")) if isinstance(verification, dict) else ""
    return BadgeFacts(
        achievement=badge, issuer=issuer, issuer_id=url(issuer.get("id")), standard="Open Badges 2.0",
        verification="signed" if kind.lower() in {"signedbadge", "signed"} else "hosted",
        tags=badge.get("tags"), evidence=[e for e in as_list(assertion.get("evidence")) if isinstance(e, dict | str)],
        narrative=assertion.get("narrative"), issued=issued, expires=expires, endorsements=endorsements)


def ob3_facts(doc: dict[str, Any], *, issued: datetime | None, expires: datetime | None) -> BadgeFacts:
    subject = _dict(doc.get("credentialSubject"))
    issuer = _dict(doc.get("issuer")) or {"id": doc.get("issuer")}
    issuer_id = issuer.get("id") if isinstance(issuer.get("id"), str) and issuer.get("id") else None
    return BadgeFacts(
        achievement=_dict(subject.get("achievement")), issuer=issuer, issuer_id=issuer_id,
        standard="Open Badges 3.0", verification="signed", tags=_dict(subject.get("achievement")).get("tag"),
        evidence=[e for e in as_list(doc.get("evidence")) if isinstance(e, dict)],
        narrative=subject.get("narrative"), issued=issued, expires=expires)


def badge_summary(facts: BadgeFacts, *, assertion_url: str | None) -> dict[str, Any]:
    """The badge as the result page shows it; revocation facts are filled in by the run when it finds them."""
    achievement = facts.achievement
    criteria = achievement.get("criteria")
    criteria = criteria if isinstance(criteria, dict) else {"id": criteria}
    return {
        "id": url(achievement.get("id")),
        "assertion": assertion_url,
        "name": text(achievement.get("name"), 300),
        "description": text(achievement.get("description")),
        "image": url(achievement.get("image"), image=True),
        "criteria": {"url": url(criteria.get("id")), "narrative": text(criteria.get("narrative"))},
        "alignments": described_alignments(achievement.get("alignment")),
        "tags": [text(t, 100) for t in as_list(facts.tags)[:50] if isinstance(t, str)],
        "evidence": [_evidence(e) for e in facts.evidence[:50]],
        "narrative": text(facts.narrative),
        "issued_on": public_timestamp(facts.issued) if facts.issued else None,
        "expires": public_timestamp(facts.expires) if facts.expires else None,
        "revoked_at": None,
        "revocation_reason": "",
        "verification": facts.verification,
        "standard": facts.standard,
        "endorsements": facts.endorsements,
    }


def _evidence(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        return {"url": url(entry), "name": "", "narrative": ""}
    return {"url": url(entry.get("id")), "name": text(entry.get("name"), 300),
            "narrative": text(entry.get("narrative"))}


def described_alignments(alignments: Any) -> list[dict[str, Any]]:
    """The badge's skills and standards, as the result page shows them (OB 2.0 and 3.0 share the names)."""
    return [{"name": text(a.get("targetName"), 300), "url": url(a.get("targetUrl")),
             "description": text(a.get("targetDescription")), "framework": text(a.get("targetFramework"), 300),
             "code": text(a.get("targetCode"), 100)}
            for a in as_list(alignments)[:50] if isinstance(a, dict)]


def described_issuer(issuer: dict[str, Any], issuer_id: str | None, branding: dict[str, Any] | None
                     ) -> dict[str, Any]:
    """Who issued the badge, as the result page shows it."""
    return {"id": issuer_id, "name": text(issuer.get("name"), 300), "url": url(issuer.get("url")),
            "email": text(issuer.get("email"), 320), "description": text(issuer.get("description")),
            "image": url(issuer.get("image"), image=True), "branding": branding}


def text(value: Any, limit: int = 5000) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def url(value: Any, *, image: bool = False) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str) or len(value) > 2048 * (64 if image else 1):
        return None
    if value.startswith(("https://", "http://")):
        return value
    if image and value.startswith(("data:image/png;", "data:image/svg+xml;", "data:image/jpeg;")):
        return value
    return None


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
