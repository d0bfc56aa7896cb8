"""LTI 1.3: the learning platforms (Moodle, Canvas) a college connected, and the badges their courses award
(README "LTI 1.3: awarding badges from Moodle or Canvas")."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from badges.models import BadgeClass
from issuers.models import Tenant
from issuers.scoping import TenantScopedManager


class LtiRegistration(models.Model):
    """One platform registration (an ``iss`` and the ``client_id`` it gave us), made by LTI Dynamic
    Registration from the college's registration URL. It belongs to that college only: a launch through it
    reaches the college's badges and nothing else. The tool's RSA key for this registration (it signs our
    deep-linking answers and service-token requests) is encrypted at rest like signing keys."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)  # the platform's own name for itself, e.g. "Moodle"
    issuer = models.CharField(max_length=500)
    client_id = models.CharField(max_length=255)
    auth_url = models.URLField(max_length=500)
    token_url = models.URLField(max_length=500)
    keyset_url = models.URLField(max_length=500)
    deployment_ids = models.JSONField(default=list)
    public_key_pem = models.TextField()
    private_key_encrypted = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
    disabled_at = models.DateTimeField(null=True, blank=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["issuer", "client_id"], name="lti_one_registration_per_client")]

    def __str__(self) -> str:
        return f"{self.name} ({self.issuer})"

    @property
    def kid(self) -> str:
        return self.public_id.hex


class LtiLink(models.Model):
    """A badge placed in a course (or one activity of it) by deep linking, with the rule that earns it:
    ``completed`` (the activity has a result) or ``score`` (a result of at least ``min_score`` percent)."""

    class Rule(models.TextChoices):
        COMPLETED = "completed", "Completed the activity"
        SCORE = "score", "Scored at least"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    registration = models.ForeignKey(LtiRegistration, on_delete=models.CASCADE, related_name="links")
    deployment_id = models.CharField(max_length=255)
    context_id = models.CharField(max_length=255)
    context_title = models.CharField(max_length=300, blank=True)
    badge_class = models.ForeignKey(BadgeClass, on_delete=models.CASCADE, related_name="+")
    rule = models.CharField(max_length=10, choices=Rule.choices, default=Rule.COMPLETED)
    min_score = models.PositiveSmallIntegerField(default=0)  # percent, for Rule.SCORE
    lineitem_url = models.URLField(max_length=500)  # the activity's AGS line item: where its results are
    lineitem_label = models.CharField(max_length=300, blank=True)
    memberships_url = models.URLField(max_length=500)  # NRPS: the course's roster
    created_by = models.CharField(max_length=300, blank=True)  # the teacher, as the platform named them
    created_at = models.DateTimeField(default=timezone.now)
    synced_at = models.DateTimeField(null=True, blank=True)
    sync_error = models.CharField(max_length=500, blank=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.badge_class.name} in {self.context_title or self.context_id}"

    def rule_text(self) -> str:
        if self.rule == self.Rule.SCORE:
            return f"score at least {self.min_score}% in {self.lineitem_label or 'the activity'}"
        return f"complete {self.lineitem_label or 'the activity'}"


class LtiAward(models.Model):
    """A learner of a course who earned a link's badge: one row per learner and link, so the beat task and
    every launch can run the rule again and again and each learner is awarded once."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    link = models.ForeignKey(LtiLink, on_delete=models.CASCADE, related_name="awards")
    lti_user_id = models.CharField(max_length=255)
    email = models.EmailField()
    assertion = models.ForeignKey("assertions.Assertion", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["link", "lti_user_id"], name="lti_award_once_per_learner")]

    def __str__(self) -> str:
        return f"{self.email} ({self.link_id})"
