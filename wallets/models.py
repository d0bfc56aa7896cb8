"""What a wallet was offered and given (OpenID for Verifiable Credential Issuance 1.0): the
pre-authorized code offers of one award, the access tokens they were exchanged for, the nonces
wallets sign their key proofs over, and every credential delivered.

Nothing secret is stored: the offer's link, its pre-authorized code, its transaction code and the
access tokens are kept as keyed hashes (``wallets.secrets``), so a copy of the database redeems nothing.
"""

from __future__ import annotations

import uuid

from django.db import models

from assertions.models import Assertion
from issuers.models import Tenant
from issuers.scoping import TenantScopedManager


class WalletOffer(models.Model):
    """A credential offer for one award: short-lived, redeemed once, optionally with a transaction code
    the learner reads off the page and types into the wallet."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    assertion = models.ForeignKey(Assertion, on_delete=models.CASCADE, related_name="wallet_offers")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    link_hash = models.CharField(max_length=64, unique=True, help_text="Keyed hash of the offer link's secret.")
    code_hash = models.CharField(max_length=64, unique=True, help_text="Keyed hash of the pre-authorized code.")
    tx_code_hash = models.CharField(max_length=64, blank=True, help_text="Empty: no transaction code asked.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    redeemed_at = models.DateTimeField(null=True, blank=True)
    wrong_tx_codes = models.PositiveSmallIntegerField(default=0)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["assertion", "created_at"])]

    def __str__(self) -> str:
        return f"Wallet offer {self.public_id} of award {self.assertion_id}"


class WalletToken(models.Model):
    """The access token a wallet got for an offer's code; it asks for the award's credential with it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    offer = models.OneToOneField(WalletOffer, on_delete=models.CASCADE, related_name="token")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    objects = TenantScopedManager()

    def __str__(self) -> str:
        return f"Wallet token of offer {self.offer_id}"


class WalletNonce(models.Model):
    """A ``c_nonce`` from the nonce endpoint, which a key proof signs over; used once. The endpoint is
    anonymous, so a nonce belongs to no college."""

    value_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"Nonce {self.value_hash[:8]}…"


class WalletDelivery(models.Model):
    """A credential given to a wallet: which award, in which format, bound to which key (the wallet's
    DID, or empty when the wallet proved no key and the subject is the hashed email)."""

    class Format(models.TextChoices):
        LDP_VC = "ldp_vc", "Open Badges 3.0 JSON-LD (ldp_vc)"
        JWT_VC_JSON = "jwt_vc_json", "Open Badges 3.0 VC-JWT (jwt_vc_json)"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    assertion = models.ForeignKey(Assertion, on_delete=models.CASCADE, related_name="wallet_deliveries")
    offer = models.ForeignKey(WalletOffer, on_delete=models.CASCADE, related_name="deliveries")
    format = models.CharField(max_length=20, choices=Format.choices)
    subject_id = models.CharField(max_length=2000, blank=True)
    delivered_at = models.DateTimeField(auto_now_add=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-delivered_at", "-id"]

    def __str__(self) -> str:
        return f"{self.format} of award {self.assertion_id} delivered {self.delivered_at:%Y-%m-%d}"
