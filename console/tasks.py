"""The console's work in the worker: an offboarding's archive, and two beat tasks (deletions due, storage)."""

from __future__ import annotations

from celery import shared_task

from console.models import Offboarding
from console.services import offboarding_archive_build, offboardings_delete_due, storage_measure
from issuers.models import Tenant
from issuers.tasks import DATABASE_RETRY, PeriodicTask


@shared_task(acks_late=True, reject_on_worker_lost=True, **DATABASE_RETRY)
def offboarding_archive(*, offboarding_id: int) -> None:
    offboarding = Offboarding.objects.filter(pk=offboarding_id).select_related("tenant").first()
    if offboarding is not None:
        offboarding_archive_build(offboarding=offboarding)


@shared_task(base=PeriodicTask, acks_late=True)
def offboardings_delete() -> int:
    return offboardings_delete_due()


@shared_task(base=PeriodicTask, acks_late=True)
def storage_measure_all() -> int:
    tenants = list(Tenant.objects.all())
    for tenant in tenants:
        storage_measure(tenant=tenant)
    return len(tenants)
