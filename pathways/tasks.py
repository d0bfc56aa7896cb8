"""Pathway work in the worker: check capstones after awards, flag after revocations, retro-award."""

from __future__ import annotations

from datetime import datetime, timedelta

from celery import Task, shared_task
from django.utils import timezone

from assertions.models import Assertion
from issuers.tasks import DATABASE_DOWN, DATABASE_RETRY, PeriodicTask, TenantTask
from pathways import services
from pathways.models import Pathway

RECONCILE_LOOKBACK = timedelta(days=2)


# Told by assertions (assertions.events), which does not wait for them: while the database is down they
# retry, instead of leaving a capstone or a flag to the nightly reconcile. A file error too (the capstone's bake).
@shared_task(base=TenantTask, bind=True, **{**DATABASE_RETRY, "autoretry_for": (*DATABASE_DOWN, OSError)})
def assertions_issued(self: Task, *, tenant_id: int, assertion_ids: list[int]) -> int:
    return services.pathways_after_issue(assertion_ids=assertion_ids)


@shared_task(base=TenantTask, bind=True, **DATABASE_RETRY)
def assertion_revoked(self: Task, *, tenant_id: int, assertion_id: int) -> int:
    assertion = Assertion.objects.select_related("badge_class").filter(pk=assertion_id).first()
    return 0 if assertion is None else services.pathways_after_revoke(assertion=assertion)


@shared_task(base=TenantTask, bind=True)
def pathway_retro_award(self: Task, *, tenant_id: int, pathway_id: int, since: str | None = None) -> None:
    pathway = Pathway.objects.select_related("capstone").filter(pk=pathway_id).first()
    if pathway is not None:
        services.pathway_retro_award(pathway=pathway, since=datetime.fromisoformat(since) if since else None)


@shared_task(base=PeriodicTask, bind=True)
def pathways_reconcile(self: Task) -> int:
    """Nightly (Celery beat): re-run every pathway over the awards, so a capstone missed while the
    broker was down is still awarded. Idempotent: completions are unique per learner."""
    from issuers.scoping import unscoped

    with unscoped("pathway reconcile: lists every tenant's pathways, then runs each in its tenant's task"):
        pathways = list(Pathway.objects.values_list("tenant_id", "pk"))
    # The awards of the last two nights: each night looks back past the previous run, so an award whose
    # check was lost is still found, and a run costs the day's awards, not every award there is.
    since = (timezone.now() - RECONCILE_LOOKBACK).isoformat()
    for tenant_id, pathway_id in pathways:
        pathway_retro_award.delay(tenant_id=tenant_id, pathway_id=pathway_id, since=since)
    return len(pathways)
