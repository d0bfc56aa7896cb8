"""The LTI beat task: every college's badge links run their rule against the platform's results."""

from __future__ import annotations

from celery import Task, shared_task

from issuers.scoping import unscoped
from issuers.tasks import DATABASE_RETRY, PeriodicTask, TenantTask
from lti import services
from lti.models import LtiLink


@shared_task(base=PeriodicTask, bind=True)
def links_sync(self: Task) -> int:
    """Hourly (beat, ``LTI_SYNC_SECONDS``): queue one sync per college that has links."""
    with unscoped("LTI sync: lists the colleges with badge links, then syncs each in its tenant's task"):
        tenant_ids = sorted(set(LtiLink.objects.filter(registration__disabled_at=None)
                                .values_list("tenant_id", flat=True)))
    for tenant_id in tenant_ids:
        tenant_links_sync.delay(tenant_id=tenant_id)
    return len(tenant_ids)


@shared_task(base=TenantTask, bind=True, **DATABASE_RETRY)
def tenant_links_sync(self: Task, *, tenant_id: int) -> int:
    return services.links_sync_all()
