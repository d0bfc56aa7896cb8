"""The allauth adapter of accounts. Its emails go through the outbox: see ``issuers.adapter``, which
extends this class (the outbox is in a layer above accounts)."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from accounts.network import client_address


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        # One configured place for the client address (TRUSTED_PROXY_COUNT / TRUSTED_CLIENT_IP_HEADER).
        return client_address(request)
