"""The order in which a worker takes from its queues on the Redis broker (README "Worker").

kombu's Redis transport asks ``queue_order_strategy`` (a class named in the broker's transport options) for
the queues before each ``BRPOP``; Redis pops from the first non-empty key in that order, and the class is
told which queue the message came from. ``PipelineFirst``:

- ``celery`` and ``bulk`` in turn, as kombu's default ``round_robin`` does: a single award waits for at most
  the cohort task in hand, and a cohort is never starved by a stream of single awards;
- a bulk job's recording (``bulk_record``, a task per chunk of rows) in the bulk queue's turn and ahead of
  it: a cohort is recorded by every pool process first, then baked and emailed, and a single award still
  waits for at most the task in hand;
- background queues (``webhooks``) last: webhook work runs when no bake or email is waiting, so the
  deliveries do not compete with the pipeline for the pool processes;
- but never starved: when background work may have waited ``WORKER_BACKGROUND_MAX_WAIT`` seconds (a
  pipeline task has been taken since, with the background queues behind it), they go first for one pop.
  A pop that put them first and still got a pipeline message proves they were empty: the wait starts again.

kombu's filesystem transport (the embedded default, no Redis) has no such option: it takes from every queue
in turn, so there webhook work shares the worker with the pipeline.
"""

from __future__ import annotations

import time

from kombu.utils.scheduling import round_robin_cycle

BACKGROUND_QUEUES = frozenset({"webhooks"})
AHEAD_OF = {"bulk_record": "bulk"}  # taken in the turn of the queue named, just before it


def _max_wait() -> float:
    from django.conf import settings

    return float(settings.WORKER_BACKGROUND_MAX_WAIT)


class PipelineFirst(round_robin_cycle):
    """Round robin over the pipeline's queues; background queues after them, unless they waited too long."""

    def __init__(self, it: list[str] | None = None) -> None:
        super().__init__(it)
        self.max_wait = _max_wait()
        self.served_at = time.monotonic()  # when the background queues last had nothing waiting (or were served)
        self.background_first = False

    def consume(self, n: int) -> list[str]:
        items = self.items[:n]
        pipeline = [q for q in items if q not in BACKGROUND_QUEUES and q not in AHEAD_OF]
        for ahead, of in AHEAD_OF.items():
            if ahead in items:
                pipeline.insert(pipeline.index(of) if of in pipeline else len(pipeline), ahead)
        background = [q for q in items if q in BACKGROUND_QUEUES]
        self.background_first = bool(background) and time.monotonic() - self.served_at >= self.max_wait
        return background + pipeline if self.background_first else pipeline + background

    def rotate(self, last_used: str) -> str:
        if last_used in BACKGROUND_QUEUES or self.background_first:
            # Served, or first in line and still empty: nothing of theirs has waited since.
            self.served_at = time.monotonic()
        return super().rotate(AHEAD_OF.get(last_used, last_used))  # its turn was the bulk queue's
