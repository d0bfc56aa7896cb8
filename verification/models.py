"""What verification records: one row per verification, with no personal data (no address, no email)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

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
        # usage per college and month (console)
        indexes = [models.Index(fields=["tenant", "created_at"], name="verification_usage")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.verdict} ({self.source})"


class RemovedDocument(models.Model):
    """A public id of a college that left the platform and whose records were deleted (see ``console``),
    or of an award a college deleted at its learner's request (``assertions.services.assertion_erase``):
    its public URLs answer 410 Gone with the reason, not 404, so an employer knows the badge existed.
    Belongs to no tenant (the tenant may be gone); holds no personal data."""

    class Reason(models.TextChoices):
        OFFBOARDED = "offboarded", "The college left the platform"
        LEARNER_REQUEST = "learner_request", "Deleted at the learner's request"

    class Kind(models.TextChoices):
        ISSUER = "issuer", "Issuer"
        BADGE = "badge", "Badge class"
        ASSERTION = "assertion", "Badge"
        KEY = "key", "Signing key"

    public_id = models.UUIDField(unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    college = models.CharField(max_length=200)
    reason = models.CharField(max_length=20, choices=Reason.choices, default=Reason.OFFBOARDED)
    removed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-removed_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id} of {self.college} (removed)"

    @property
    def message(self) -> str:
        if self.reason == self.Reason.LEARNER_REQUEST:
            return (f"This {self.get_kind_display().lower()} was issued by {self.college}, which deleted it at the "
                    f"learner's request on {self.removed_at:%-d %B %Y}, so it can no longer be verified.")
        return (f"This {self.get_kind_display().lower()} was issued by {self.college}, which has left Badge "
                f"Platform; its records were deleted on {self.removed_at:%-d %B %Y}, so it can no longer be "
                "verified here. Ask the college for its own record.")
