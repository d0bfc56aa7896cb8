"""Outcome counts for the dashboard: aggregated per badge class and day, with no personal data."""

from __future__ import annotations

from django.db import models

from assertions.models import Assertion
from badges.models import BadgeClass
from issuers.models import Tenant
from issuers.scoping import TenantScopedManager


class DailyCount(models.Model):
    class Kind(models.TextChoices):
        SHARE_VIEW = "share_view", "Share page views"
        LINKEDIN = "linkedin", "LinkedIn add clicks"
        DOWNLOAD = "download", "Downloads"
        WALLET = "wallet", "Credentials added to wallets"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    badge_class = models.ForeignKey(BadgeClass, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    count = models.PositiveIntegerField(default=0)

    objects = TenantScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["badge_class", "day", "kind"], name="one_count_per_day")]
        indexes = [models.Index(fields=["tenant", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.count}"


class VisitorMark(models.Model):
    """A visitor already counted for this badge today (``verification.visitors``: a keyed hash of the
    client address and the day, never the address). Yesterday's marks are of no use and are deleted."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    assertion = models.ForeignKey(Assertion, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=DailyCount.Kind.choices)
    day = models.DateField()
    visitor = models.CharField(max_length=64)

    objects = TenantScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assertion", "kind", "day", "visitor"],
                                               name="one_count_per_visitor_per_day")]
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}"
