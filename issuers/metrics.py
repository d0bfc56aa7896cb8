"""What the platform counts for operators (Prometheus), defined once, counted where it happens.

The apps count business events here (awards, emails, verifications); ``badgeplatform.observability``
counts requests and tasks and serves them all at ``/metrics``. With ``PROMETHEUS_MULTIPROC_DIR`` set
(gunicorn's workers, Celery's pool processes) prometheus-client keeps each process's counts in a file
there and ``/metrics`` adds them up; unset (``make run``, most tests) each process keeps its own.
"""

from __future__ import annotations

from prometheus_client import Counter

AWARDS_ISSUED = Counter(
    "badgeplatform_awards_issued", "Awards recorded by the issuing service (counted once they commit).")
EMAILS = Counter(
    "badgeplatform_emails",
    "Outbox emails by what became of them: sent, failed (refused or given up) or unknown (delivery in doubt).",
    ["status"])
VERIFICATIONS = Counter(
    "badgeplatform_verifications", "Verifications answered, by verdict and where they came from.",
    ["verdict", "source"])


def emails_counted(status: str, count: int) -> None:
    if count:
        EMAILS.labels(status=status).inc(count)
