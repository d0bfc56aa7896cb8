"""Pathways: badge classes that stack into a larger credential, with an optional capstone award."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from assertions.models import Assertion
from badges.models import BadgeClass
from issuers.models import Issuer, Tenant
from issuers.scoping import TenantScopedManager


class Pathway(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="pathways")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # A tree of {"badge": id} / {"all": [...]} / {"n": 2, "of": [...]}: see pathways.requirements.
    requirements = models.JSONField()
    capstone = models.ForeignKey(BadgeClass, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="capstone_of")
    # The retro-award job over awards made before the pathway existed.
    retro_status = models.CharField(max_length=10, default="queued")  # queued, running, done
    retro_total = models.PositiveIntegerField(default=0)
    retro_done = models.PositiveIntegerField(default=0)
    retro_awarded = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PathwayCompletion(models.Model):
    """A learner completed a pathway. At most one per learner: the capstone is awarded exactly once."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="completions")
    # "user:<id>" for a learner with an account (all their verified addresses count), else "email:<address>".
    learner_key = models.CharField(max_length=340)
    capstone = models.OneToOneField(Assertion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    completed_at = models.DateTimeField(auto_now_add=True)
    # A required badge was revoked later: the capstone stays until an admin decides.
    flagged_at = models.DateTimeField(null=True, blank=True)
    flag_reason = models.CharField(max_length=300, blank=True)

    objects = TenantScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pathway", "learner_key"], name="one_completion_per_learner")]
        ordering = ["-completed_at"]

    def __str__(self) -> str:
        return f"{self.pathway} completed by {self.learner_key}"


class Cohort(models.Model):
    """A named group of learners a tutor follows (saved from a bulk award, or uploaded as a CSV)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="cohorts")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    # Whose learners these are: the issuer of the job it was saved from, or the one chosen on upload.
    # None is a college-wide cohort, which members limited to some issuers do not see.
    issuer = models.ForeignKey(Issuer, on_delete=models.SET_NULL, null=True, blank=True, related_name="cohorts")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CohortMember(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="members")
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["name", "email"]
        constraints = [models.UniqueConstraint(fields=["cohort", "email"], name="one_member_per_cohort")]

    def __str__(self) -> str:
        return self.email
