from __future__ import annotations

import uuid

from django.db import models

from issuers.models import Issuer, Tenant
from issuers.scoping import TenantScopedManager


class CredentialKey(models.Model):
    """An issuer's Ed25519 key for Open Badges 3.0 proofs, published as a ``Multikey`` in the issuer's
    DID document. The private key is encrypted at rest like the RSA keys (``issuers.keys``); a retired
    key stays published so the credentials it signed keep verifying, and never signs again."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    issuer = models.ForeignKey(Issuer, on_delete=models.CASCADE, related_name="credential_keys")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    public_key_multibase = models.CharField(max_length=64, unique=True)
    private_key_encrypted = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True, help_text="Retired keys verify, never sign.")

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["issuer"], condition=models.Q(retired_at=None),
                                               name="one_active_credential_key_per_issuer")]

    def __str__(self) -> str:
        return f"Ed25519 key {self.public_key_multibase[:12]}… of {self.issuer}"
