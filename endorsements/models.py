"""Endorsements: an outside organisation (an employer, a professional body) vouches for a badge class.

The endorser is not a member of any tenant: its ``EndorserProfile`` belongs to the user who signs
in for it. Requests and endorsements belong to the tenant whose badge class is endorsed.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from badges.models import BadgeClass
from issuers.models import LinkEmail, Tenant
from issuers.scoping import TenantScopedManager


class EndorserProfile(models.Model):
    """Published as an Open Badges 2.0 ``Profile`` at ``/public/endorsers/<id>``."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="endorser_profile")
    name = models.CharField(max_length=200)
    url = models.URLField("website")
    email = models.EmailField(help_text="A public contact address.")
    description = models.TextField(blank=True)
    logo = models.FileField(upload_to="endorsers/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


class EndorsementRequest(LinkEmail):
    """A tenant admin's invitation to endorse one badge class. The link works once, for that address."""

    EMAIL_KIND = "endorsement_request"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="endorsement_requests")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    badge_class = models.ForeignKey(BadgeClass, on_delete=models.CASCADE, related_name="endorsement_requests")
    email = models.EmailField()
    message = models.TextField(blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = TenantScopedManager()

    class Meta(LinkEmail.Meta):
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} asked to endorse {self.badge_class}"

    @property
    def audit_label(self) -> str:
        return self.badge_class.name

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class Endorsement(models.Model):
    """Published as an Open Badges 2.0 ``Endorsement`` at ``/public/endorsements/<id>``."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="endorsements")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    badge_class = models.ForeignKey(BadgeClass, on_delete=models.CASCADE, related_name="endorsements")
    endorser = models.ForeignKey(EndorserProfile, on_delete=models.CASCADE, related_name="endorsements")
    request = models.OneToOneField(EndorsementRequest, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="endorsement")
    comment = models.TextField(help_text="Markdown: why your organisation endorses this badge.")
    issued_on = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-issued_on"]
        constraints = [models.UniqueConstraint(fields=["badge_class", "endorser"],
                                               condition=models.Q(withdrawn_at=None),
                                               name="one_live_endorsement_per_endorser")]

    def __str__(self) -> str:
        return f"{self.endorser} endorses {self.badge_class}"

    @property
    def audit_label(self) -> str:
        return self.badge_class.name
