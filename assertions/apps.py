from django.apps import AppConfig


class AssertionsConfig(AppConfig):
    name = "assertions"

    def ready(self) -> None:
        # The outbox (issuers, a lower layer) sends the award emails: tell it how they are written.
        from assertions.emails import AWARD_EMAILS
        from issuers.outbox import EMAIL_KINDS

        EMAIL_KINDS.register(AWARD_EMAILS)
