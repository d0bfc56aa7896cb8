from django.apps import AppConfig


class IssuersConfig(AppConfig):
    name = "issuers"
    verbose_name = "Tenants and issuers"

    def ready(self) -> None:
        # The outbox (issuers.outbox) sends every email; each app registers how its kinds are written.
        from issuers.models import Invitation
        from issuers.outbox import ACCOUNT, EMAIL_KINDS, EmailKind, link_email_kind
        from issuers.tasks import invitation_message

        EMAIL_KINDS.register(link_email_kind(Invitation, invitation_message))
        EMAIL_KINDS.register(EmailKind(name=ACCOUNT, secret_content=True))  # written when queued (issuers.adapter)
