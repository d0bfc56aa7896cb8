"""What the assertions layer announces to the layers above, which it never imports: each fills in the
registry of the event it wants told about, from its ``AppConfig.ready()`` (pathways: its checks after
an award; webhooks: its deliveries). ``assertions.services.announce`` queues every registered task once the
award commits."""

from __future__ import annotations

from celery import Task

from issuers.registry import Registry

ANNOUNCED: dict[str, Registry[Task]] = {
    # kwargs: tenant_id, assertion_ids (the awards of one batch)
    "issued": Registry("tasks told about awards issued"),
    # kwargs: tenant_id, assertion_id
    "revoked": Registry("tasks told about an award revoked"),
    # kwargs: tenant_id, job_id (a bulk job that has finished: done or failed)
    "bulk_finished": Registry("tasks told about a bulk job finished"),
}
