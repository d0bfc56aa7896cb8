from django.apps import AppConfig


class EndorsementsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "endorsements"

    def ready(self) -> None:
        # The outbox lives in issuers, a lower layer: tell it how an endorsement request's email is written.
        from endorsements.models import EndorsementRequest
        from endorsements.tasks import endorsement_request_message
        from issuers.outbox import EMAIL_KINDS, link_email_kind

        EMAIL_KINDS.register(link_email_kind(EndorsementRequest, endorsement_request_message))

