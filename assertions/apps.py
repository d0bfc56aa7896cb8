from django.apps import AppConfig


class AssertionsConfig(AppConfig):
    name = "assertions"

    def ready(self) -> None:
        # The outbox (issuers, a lower layer) sends the award emails: tell it how they are written.
        from assertions import queue, tasks
        from assertions.emails import AWARD_EMAILS, REVOCATION_EMAILS
        from issuers.outbox import EMAIL_KINDS

        EMAIL_KINDS.register(AWARD_EMAILS)
        EMAIL_KINDS.register(REVOCATION_EMAILS)
        # The services queue work through assertions.queue; the tasks, which import the services, say how.
        queue.PIPELINE.register(tasks.pipeline_enqueue)
        queue.FOLLOW_UP.register(tasks.follow_up_enqueue)
        queue.BULK_JOBS.register(tasks.bulk_job_enqueue)
