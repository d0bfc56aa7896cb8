"""What each event says: the ``data`` of a delivery's payload, built from the rows it is about."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from assertions.documents import public_url
from assertions.models import Assertion, BulkJob
from issuers.dates import public_timestamp
from pathways.models import PathwayCompletion


def award_data(assertion: Assertion) -> dict[str, Any]:
    """An award as a college's MIS needs it: ids to match it, the learner, the badge, dates, status."""
    badge = assertion.badge_class
    return {
        "award": {
            "id": str(assertion.public_id),
            "url": public_url("assertions", assertion.public_id),
            "recipient": {"type": assertion.recipient_type, "identity": assertion.recipient_identity,
                          "name": assertion.recipient_name},
            "badge_class": {"id": str(badge.public_id), "name": badge.name},
            "issuer": {"id": str(badge.issuer.public_id), "name": badge.issuer.name},
            "issued_on": public_timestamp(assertion.issued_on),
            "expires": public_timestamp(assertion.expires) if assertion.expires else None,
            "revoked": assertion.revoked,
            "revocation_reason": assertion.revocation_reason if assertion.revoked else None,
            "claimed_at": public_timestamp(assertion.claimed_at) if assertion.claimed_at else None,
            "bulk_job": str(assertion.bulk_job.public_id) if assertion.bulk_job_id and assertion.bulk_job else None,
        },
    }


def awards() -> QuerySet[Assertion]:
    """Awards with what ``award_data`` reads, in one query. Never a bulk job's rows and errors: a cohort's
    job holds every row of its file, which decoded once per award cost seconds per batch."""
    return (Assertion.objects.select_related("badge_class__issuer", "bulk_job")
            .defer("bulk_job__rows", "bulk_job__errors", "bulk_job__options"))


def awards_of(ids: list[int]) -> list[Assertion]:
    return list(awards().filter(pk__in=ids).order_by("pk"))


def bulk_job_data(job: BulkJob) -> dict[str, Any]:
    return {"bulk_job": {
        "id": str(job.public_id), "status": job.status, "badge_class": {"id": str(job.badge_class.public_id),
                                                                      "name": job.badge_class.name},
        "total": job.total, "issued": job.issued, "failed": job.failed,
        "finished_at": public_timestamp(job.finished_at) if job.finished_at else None,
    }}


def completion_data(completion: PathwayCompletion) -> dict[str, Any]:
    pathway = completion.pathway
    capstone = completion.capstone
    return {"pathway": {"id": str(pathway.public_id), "name": pathway.name},
            "learner": _learner(completion),
            "completed_at": public_timestamp(completion.completed_at),
            "capstone": award_data(capstone)["award"] if capstone is not None else None}


def _learner(completion: PathwayCompletion) -> str | None:
    """The learner's address: the capstone's, or the one the completion is keyed by (never a user id)."""
    if completion.capstone is not None:
        return completion.capstone.recipient_identity
    return completion.learner_key.removeprefix("email:") if completion.learner_key.startswith("email:") else None
