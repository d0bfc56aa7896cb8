from django.apps import AppConfig


class BackpackConfig(AppConfig):
    name = "backpack"
    verbose_name = "Learners' backpacks"

    def ready(self) -> None:
        # Expiry reminders are written when queued: the outbox (issuers) sends the stored message.
        from backpack.models import ExpiryReminder
        from backpack.selectors import linked_badges_of_path
        from issuers.outbox import EMAIL_KINDS, EmailKind
        from verification.links import OUR_PAGES

        EMAIL_KINDS.register(EmailKind(name=ExpiryReminder.EMAIL_KIND))
        # Share and collection links pasted into the verifier verify the badges they show.
        OUR_PAGES.register(linked_badges_of_path)
