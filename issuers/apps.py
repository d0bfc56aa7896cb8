from django.apps import AppConfig


class IssuersConfig(AppConfig):
    name = "issuers"
    verbose_name = "Tenants and issuers"

    def ready(self) -> None:
        # The link email sweep (issuers.tasks) resends unsent invitations; endorsements registers its own.
        from issuers.models import Invitation
        from issuers.outbox import link_email_register
        from issuers.tasks import invitation_queue

        link_email_register(Invitation, invitation_queue)
