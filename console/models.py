"""What the platform console keeps of its own: a college's offboarding, and each college's measured storage.

Neither is a college's own data, so neither is tenant-scoped: an offboarding outlives the college it
deleted (it records what was done), and storage is the platform's measurement of a college."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from issuers.models import Tenant


class Offboarding(models.Model):
    """A college leaving the platform: everything it owns is exported as one archive by the worker,
    then, once the grace period the operator set has passed, the college is deleted by a beat task
    (``console.tasks.offboardings_delete_due``) and its public ids kept as tombstones (410 Gone)."""

    class Status(models.TextChoices):
        BUILDING = "building", "Building the archive"
        READY = "ready", "Archive ready; deletion scheduled"
        FAILED = "failed", "Archive failed"
        CANCELLED = "cancelled", "Cancelled"
        DELETED = "deleted", "Deleted"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    college_name = models.CharField(max_length=200)
    college_slug = models.CharField(max_length=60)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BUILDING)
    grace_days = models.PositiveIntegerField()
    delete_after = models.DateTimeField()
    archive_name = models.CharField(max_length=200, blank=True)  # a file in settings.ARCHIVE_ROOT
    archive_bytes = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    archive_built_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # one offboarding under way per college at a time
        constraints = [models.UniqueConstraint(fields=["tenant"], condition=models.Q(status__in=["building", "ready"]),
                                               name="one_offboarding_under_way")]

    def __str__(self) -> str:
        return f"Offboarding of {self.college_name} ({self.status})"


class StorageMeasure(models.Model):
    """The bytes a college's files take (badge images, baked awards, logos), measured by the worker once a
    day (``console.tasks.storage_measure``): reading every file's size is too slow for a page. The awards'
    images are kept as a running total: each day adds the awards made since the last measure (through
    ``awards_through``), and the whole college is counted again every ``STORAGE_RECOUNT_DAYS``."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="+")
    bytes = models.BigIntegerField(default=0)
    files = models.PositiveIntegerField(default=0)
    measured_at = models.DateTimeField(default=timezone.now)
    award_bytes = models.BigIntegerField(default=0)
    award_files = models.PositiveIntegerField(default=0)
    awards_through = models.BigIntegerField(default=0)  # the last award (by id) whose images are counted
    counted_in_full_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.tenant}: {self.bytes} bytes"
