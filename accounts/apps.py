from typing import Any

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from allauth.account.signals import email_confirmed

        # allauth verifies an address in several flows (the emailed link, a sign-in code, the admin) and
        # announces each only through this signal: it is where others' unproven copies are removed.
        email_confirmed.connect(_email_confirmed, dispatch_uid="accounts.email_address_proven")


def _email_confirmed(sender: Any, email_address: Any, **kwargs: Any) -> None:
    from accounts.services import email_address_proven

    email_address_proven(email_address=email_address)
