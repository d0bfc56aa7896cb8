"""The allauth adapter of accounts. Its emails go through the outbox: see ``issuers.adapter``, which
extends this class (the outbox is in a layer above accounts)."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from django.contrib import messages
from django.http import HttpRequest

from accounts import services
from accounts.network import client_address

SIGNED_UP_HERE = "accounts.signed_up_user"  # the session that typed the sign-up's password


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        # One configured place for the client address (TRUSTED_PROXY_COUNT / TRUSTED_CLIENT_IP_HEADER).
        return client_address(request)

    def confirm_email(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        """A sign-up's password is chosen before anyone proved the address: whoever signed up last
        holds the account until the inbox's owner confirms it. When the confirming browser is not the
        one that signed up, the password is forgotten, so a stranger's later sign-up is harmless:
        the owner of the inbox signs in with an emailed code, the stranger's password opens nothing."""
        first_proof = not EmailAddress.objects.filter(user_id=email_address.user_id, verified=True).exists()
        confirmed = super().confirm_email(request, email_address)
        if confirmed and first_proof and request.session.get(SIGNED_UP_HERE) != email_address.user_id:
            if services.user_password_forget_unproven(user=email_address.user):
                messages.info(request, "Your address is confirmed. Because it was confirmed in another browser "
                                       "than the one that signed up, sign in with a code sent to it and then "
                                       "choose your password.")
        return confirmed
