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


class IssuedCredential(models.Model):
    """The Open Badges 3.0 side of one award (the credential itself is built from the assertion row on
    request): its index in the issuer's status list, allocated once, the key that signs it, fixed so a
    key rotation never changes a credential already given out, and its baked image."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    assertion = models.OneToOneField("assertions.Assertion", on_delete=models.CASCADE, related_name="credential")
    # No index of its own: one_award_per_status_index leads with it.
    issuer = models.ForeignKey(Issuer, on_delete=models.CASCADE, related_name="+", db_index=False)
    status_index = models.PositiveIntegerField()
    key = models.ForeignKey(CredentialKey, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    baked_image = models.FileField(upload_to="baked-ob3/", blank=True)

    objects = TenantScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "status_index"], name="one_award_per_status_index")]

    def __str__(self) -> str:
        return f"OB 3.0 credential of {self.assertion_id} (status index {self.status_index})"


class EndorserKey(models.Model):
    """An endorser's Ed25519 key, for the ``EndorsementCredential`` the platform publishes for it (as
    it hosts its OB 2.0 endorsements), published in the endorser's DID document. Endorsers belong to
    no college, so this is not tenant-scoped. Encrypted at rest like every private key."""

    endorser = models.ForeignKey("endorsements.EndorserProfile", on_delete=models.CASCADE, related_name="+")
    public_key_multibase = models.CharField(max_length=64, unique=True)
    private_key_encrypted = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["endorser"], condition=models.Q(retired_at=None),
                                               name="one_active_key_per_endorser")]

    def __str__(self) -> str:
        return f"Ed25519 key {self.public_key_multibase[:12]}… of {self.endorser}"
