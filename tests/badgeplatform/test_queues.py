"""The order a worker pops its queues in on Redis (badgeplatform.queues.PipelineFirst, the broker's
``queue_order_strategy``): the pipeline's queues in turn, webhooks after them unless they waited too long.
The real worker's behaviour is tests/worker/test_webhook_order.py; this pins the order itself."""

from __future__ import annotations

import time

from django.conf import settings

from badgeplatform.queues import PipelineFirst


def _cycle(max_wait: float = 30) -> PipelineFirst:
    cycle = PipelineFirst()
    cycle.update(["celery", "bulk", "webhooks"])
    cycle.max_wait = max_wait
    return cycle


def test_the_redis_broker_is_told_to_use_it():
    # Only the Redis transport reads the option; settings name it whenever REDIS_URL is set.
    if settings.CELERY_BROKER_URL.startswith("redis"):
        assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["queue_order_strategy"] == "badgeplatform.queues:PipelineFirst"
    assert settings.CELERY_TASK_ROUTES == {"webhooks.tasks.*": {"queue": "webhooks"}}


def test_celery_and_bulk_take_turns_and_webhooks_come_last():
    cycle = _cycle()
    assert cycle.consume(3) == ["celery", "bulk", "webhooks"]
    cycle.rotate("celery")
    assert cycle.consume(3) == ["bulk", "celery", "webhooks"]
    cycle.rotate("bulk")
    assert cycle.consume(3) == ["celery", "bulk", "webhooks"]
    cycle.rotate("webhooks")  # served: still last
    assert cycle.consume(3)[-1] == "webhooks"


def test_a_bulk_jobs_recording_goes_in_the_bulk_queues_turn_just_before_it():
    cycle = PipelineFirst()
    cycle.update(["celery", "bulk_record", "bulk", "webhooks"])
    assert cycle.consume(4) == ["celery", "bulk_record", "bulk", "webhooks"]
    cycle.rotate("celery")
    assert cycle.consume(4) == ["bulk_record", "bulk", "celery", "webhooks"]
    cycle.rotate("bulk_record")  # the bulk queue's turn was taken: the default queue's next
    assert cycle.consume(4) == ["celery", "bulk_record", "bulk", "webhooks"]
    cycle.rotate("celery")
    cycle.rotate("bulk")
    assert cycle.consume(4) == ["celery", "bulk_record", "bulk", "webhooks"]


def test_the_worker_takes_every_queue_the_pipeline_uses():
    names = {q.name for q in settings.CELERY_TASK_QUEUES}
    assert {settings.CELERY_TASK_DEFAULT_QUEUE, settings.BULK_QUEUE, settings.BULK_RECORD_QUEUE, "webhooks"} <= names


def test_webhooks_that_waited_go_first_once_then_last_again():
    cycle = _cycle(max_wait=0.05)
    cycle.rotate("bulk")
    time.sleep(0.06)
    assert cycle.consume(3)[0] == "webhooks"
    cycle.rotate("webhooks")
    assert cycle.consume(3)[-1] == "webhooks"


def test_a_pipeline_message_popped_with_webhooks_first_proves_they_were_empty():
    cycle = _cycle(max_wait=0.05)
    time.sleep(0.06)
    assert cycle.consume(3)[0] == "webhooks"
    cycle.rotate("celery")  # webhooks first and yet a celery message: nothing of theirs was waiting
    assert cycle.consume(3)[-1] == "webhooks"
