"""What verification records: one row per verification, with no personal data (no address, no email)."""

from __future__ import annotations

from django.db import models

from issuers.models import Tenant
from issuers.scoping import TenantScopedManager


class VerificationEvent(models.Model):
    """A badge was verified. ``tenant`` and ``assertion_public_id`` are set for our own badges only."""

    class Verdict(models.TextChoices):
        VALID = "valid", "Valid"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"
        INVALID = "invalid", "Not valid"

    class Source(models.TextChoices):
        PAGE = "page", "Verify page"
        API = "api", "API"
        IMAGE = "image", "Uploaded image"
        PUBLIC = "public", "Public assertion page"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    assertion_public_id = models.UUIDField(null=True, blank=True, db_index=True)
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # For our own badges: who verified (``verification.visitors``: a keyed hash of address and day, never
    # the address) and on which day, so one visitor counts once per badge per day.
    visitor = models.CharField(max_length=64, blank=True, default="")
    day = models.DateField(null=True, blank=True)

    # Scoped like every tenant-owned model, so the outcomes dashboard reads only its own college's
    # rows; the recording task writes across tenants on purpose (see verification.tasks).
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["assertion_public_id", "day", "visitor"],
                                               condition=~models.Q(visitor=""),
                                               name="one_verification_per_visitor_per_day")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.verdict} ({self.source})"
