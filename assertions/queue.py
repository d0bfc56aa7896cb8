"""How the issuing service hands work to the worker without importing the tasks that do it.

``assertions.tasks`` is the Celery interface on top of this app: it imports the services and the
bulk jobs in order to run them in the worker. The services queue work once their transaction
commits (the awards to bake and email, a bulk job to run); so that they need not import the tasks
back (a circle), they call what ``AssertionsConfig.ready()`` registered here, through the same
``Registry`` a lower layer uses to tell a higher one (``issuers.registry``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from issuers.registry import Registry

# kwargs: tenant_id, assertion_ids
PIPELINE: Registry[Callable[..., None]] = Registry("queue bake-then-email of these awards (assertions.tasks)")
# kwargs: tenant_id, assertion_ids, announcement_id: an issued batch's follow-up work, one message
FOLLOW_UP: Registry[Callable[..., None]] = Registry("queue an issued batch's follow-up work (assertions.tasks)")
# kwargs: tenant_id, job_id
BULK_JOBS: Registry[Callable[..., None]] = Registry("queue the run of a bulk job (assertions.tasks)")


def pipeline_queue(*, tenant_id: int, assertion_ids: Sequence[int]) -> None:
    for queue in PIPELINE:
        queue(tenant_id=tenant_id, assertion_ids=assertion_ids)


def follow_up_queue(*, tenant_id: int, assertion_ids: Sequence[int], announcement_id: int) -> None:
    """After an issue commits: its bake-then-email and its announcement (``Announcement`` row), in one
    message that the worker fans out into the tasks ``pipeline_queue`` and ``announcement_publish`` queue."""
    for queue in FOLLOW_UP:
        queue(tenant_id=tenant_id, assertion_ids=assertion_ids, announcement_id=announcement_id)


def bulk_job_queue(*, tenant_id: int, job_id: int) -> None:
    for queue in BULK_JOBS:
        queue(tenant_id=tenant_id, job_id=job_id)
