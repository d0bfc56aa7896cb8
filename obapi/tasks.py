"""Beat task of the Open Badges 3.0 API: tokens and codes past their time are deleted, and
abandoned client registrations."""

from __future__ import annotations

from celery import shared_task

from issuers.tasks import PeriodicTask
from obapi.services import clients_abandoned_delete, tokens_expired_delete


@shared_task(base=PeriodicTask, acks_late=True)
def tokens_expired_clear() -> None:
    """Periodic (beat, daily): expired and revoked tokens and codes go (django-oauth-toolkit's clear), then
    registered clients a day old that never got a learner's token."""
    tokens_expired_delete()
    clients_abandoned_delete()
