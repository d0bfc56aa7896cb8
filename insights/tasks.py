from __future__ import annotations

from celery import Task, shared_task

from insights.events import daily_count_add, visitor_first_today
from issuers.tasks import TenantTask


# An increment is not idempotent: acknowledged on receipt, so a re-delivery (a worker killed after the
# UPDATE, before the ack) cannot count an event twice. A worker killed mid-task loses that one count.
@shared_task(base=TenantTask, bind=True, ignore_result=True, acks_late=False, reject_on_worker_lost=False)
def count_event(self: Task, *, tenant_id: int, badge_class_id: int, kind: str, day: str,
                assertion_id: int | None = None, visitor: str = "") -> None:
    if visitor and assertion_id is not None and not visitor_first_today(
            tenant_id=tenant_id, assertion_id=assertion_id, kind=kind, day=day, visitor=visitor):
        return  # counted for this visitor and award today already
    daily_count_add(tenant_id=tenant_id, badge_class_id=badge_class_id, kind=kind, day=day)
