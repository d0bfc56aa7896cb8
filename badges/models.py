"""Badge classes: what an award means (name, description, image, criteria, competencies)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from issuers.models import Issuer, Tenant
from issuers.scoping import TenantScopedManager


class BadgeClass(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="badge_classes")
    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="badge_classes")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField()
    image = models.FileField(upload_to="badges/")
    # For SVG badges: a PNG rendition for emails, link previews and certificates.
    image_png = models.FileField(upload_to="badges/png/", blank=True)
    image_type = models.CharField(max_length=3, choices=[("png", "PNG"), ("svg", "SVG")], default="png")
    criteria_narrative = models.TextField(blank=True, help_text="Markdown: what a learner must show.")
    criteria_url = models.URLField(blank=True)
    # [{"targetName", "targetUrl", "targetDescription", "targetFramework", "targetCode"}]
    alignments = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    validity_days = models.PositiveIntegerField(null=True, blank=True, help_text="Awards expire after this.")
    retired_at = models.DateTimeField(null=True, blank=True)
    # Editing what an awarded badge means makes a new version; old awards keep the old one.
    previous_version = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_version"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "badge classes"

    def __str__(self) -> str:
        return self.name

    @property
    def validity_label(self) -> str:
        """How long an award stays valid, as a tutor would say it: "3 years", "90 days"."""
        days = self.validity_days or 0
        if days and days % 365 == 0:
            years = days // 365
            return f"{years} year{'s' if years != 1 else ''}"
        return f"{days} day{'s' if days != 1 else ''}"
