from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"

    def ready(self) -> None:
        # Every event comes from a layer below, through the registry it owns (issuers.registry).
        from assertions.events import ANNOUNCED
        from issuers.keys import ENCRYPTED_KEY_MODELS
        from issuers.outbox import EMAIL_KINDS, EMAIL_OUTCOMES, EmailKind
        from pathways.events import COMPLETED
        from verification.events import VERIFIED
        from webhooks import services, tasks
        from webhooks.models import WebhookEndpoint

        ANNOUNCED["issued"].register(tasks.awards_issued)
        ANNOUNCED["revoked"].register(tasks.award_revoked)
        ANNOUNCED["bulk_finished"].register(tasks.bulk_job_finished)
        EMAIL_OUTCOMES.register(services.award_emails_done)
        VERIFIED.register(services.award_verified)
        COMPLETED.register(services.pathway_completed)
        # The "endpoint disabled" email to the admins is written when queued: the outbox sends it as stored.
        EMAIL_KINDS.register(EmailKind(name=services.EMAIL_KIND))
        ENCRYPTED_KEY_MODELS.register(WebhookEndpoint)  # manage.py rotate_encryption_key re-encrypts its secrets
