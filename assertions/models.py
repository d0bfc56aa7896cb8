"""Assertions: one badge awarded to one recipient."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from badges.models import BadgeClass
from issuers.models import Tenant
from issuers.scoping import TenantScopedManager


class Assertion(models.Model):
    class RecipientType(models.TextChoices):
        EMAIL = "email", "Email"
        URL = "url", "URL"
        TELEPHONE = "telephone", "Telephone"

    class Verification(models.TextChoices):
        HOSTED = "hosted", "Hosted"
        SIGNED = "signed", "Signed"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="assertions")
    badge_class = models.ForeignKey(BadgeClass, on_delete=models.PROTECT, related_name="assertions")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient_type = models.CharField(max_length=10, choices=RecipientType.choices, default=RecipientType.EMAIL)
    # Private: never published. Only the salted hash below appears in public documents.
    recipient_identity = models.CharField(max_length=320)
    recipient_name = models.CharField(max_length=200, blank=True)
    recipient_salt = models.CharField(max_length=64)
    recipient_hash = models.CharField(max_length=80)
    issued_on = models.DateTimeField()
    expires = models.DateTimeField(null=True, blank=True)
    evidence = models.JSONField(default=list, blank=True)  # [{"id": url, "narrative": text}]
    narrative = models.TextField(blank=True)
    verification_type = models.CharField(max_length=10, choices=Verification.choices, default=Verification.HOSTED)
    # The key that signs this assertion, fixed at issue so a later key rotation changes nothing.
    signing_key = models.ForeignKey("issuers.SigningKey", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    revoked = models.BooleanField(default=False)
    revocation_reason = models.CharField(max_length=300, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    baked_image = models.FileField(upload_to="baked/", blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-issued_on", "-id"]
        indexes = [models.Index(fields=["tenant", "recipient_identity"])]

    def __str__(self) -> str:
        return f"{self.badge_class} → {self.recipient_identity}"
