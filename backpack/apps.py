from django.apps import AppConfig


class BackpackConfig(AppConfig):
    name = "backpack"
    verbose_name = "Learners' backpacks"

    def ready(self) -> None:
        # Expiry reminders are written when queued: the outbox (issuers) sends the stored message.
        from backpack.models import ExpiryReminder
        from issuers.outbox import EMAIL_KINDS, EmailKind

        EMAIL_KINDS.register(EmailKind(name=ExpiryReminder.EMAIL_KIND))
