from django.apps import AppConfig


class EndorsementsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "endorsements"

    def ready(self) -> None:
        # The link email sweep lives in issuers, a lower layer: tell it about endorsement requests.
        from endorsements.models import EndorsementRequest
        from endorsements.tasks import endorsement_request_queue
        from issuers.outbox import link_email_register

        link_email_register(EndorsementRequest, endorsement_request_queue)
