"""Reads: the offer a link opens, and an award's deliveries to wallets (for the learner's page)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from assertions.models import Assertion
from issuers.scoping import tenant_scope, unscoped
from wallets import metadata
from wallets.models import WalletDelivery, WalletOffer
from wallets.secrets import code_of_link, keyed_hash


def offer_document(link: str) -> dict[str, Any] | None:
    """The credential offer object a ``credential_offer_uri`` names; None once it is used or expired."""
    with unscoped("a wallet opens an offer link: its secret names one award, of any college"):
        offer = WalletOffer.objects.filter(link_hash=keyed_hash("offer-link", link), redeemed_at=None,
                                           expires_at__gt=timezone.now()).first()
    if offer is None:
        return None
    return metadata.credential_offer(code_of_link(link), tx_code=bool(offer.tx_code_hash))


def deliveries_of(assertion: Assertion) -> list[WalletDelivery]:
    with tenant_scope(assertion.tenant):
        return list(WalletDelivery.objects.filter(assertion=assertion))
