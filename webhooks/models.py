"""Webhook endpoints a college registers, and the deliveries of events to them (README "Webhooks")."""

from __future__ import annotations

import json
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from issuers.models import Tenant
from issuers.scoping import TenantScopedManager


class EventType(models.TextChoices):
    """What an endpoint can subscribe to; the value is the ``type`` of the payload."""

    AWARD_ISSUED = "award.issued", "Award issued"
    EMAIL_DELIVERED = "award.email_delivered", "Award email delivered"
    EMAIL_FAILED = "award.email_failed", "Award email not delivered"
    AWARD_CLAIMED = "award.claimed", "Award claimed by the learner"
    AWARD_REVOKED = "award.revoked", "Award revoked"
    AWARD_EXPIRED = "award.expired", "Award expired"
    AWARD_VERIFIED = "award.verified", "Award verified by someone"
    BULK_JOB_FINISHED = "bulk_job.finished", "Bulk award job finished"
    PATHWAY_COMPLETED = "pathway.completed", "Pathway completed"


class WebhookEndpoint(models.Model):
    """A URL of the college's own systems (its MIS) that is sent the events it chose, signed with its secret
    (``whsec_...``, encrypted at rest like signing keys). After a rotation the previous secret signs too,
    until ``previous_secret_until``, so the receiver can switch without missing a delivery."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)  # EventType values
    secret_encrypted = models.BinaryField()
    previous_secret_encrypted = models.BinaryField(null=True, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    # Failing since the first failed attempt after the last success; disabled after WEBHOOK_DISABLE_AFTER_DAYS.
    failing_since = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantScopedManager()
    ENCRYPTED_FIELDS = ("secret_encrypted", "previous_secret_encrypted")  # issuers.keys.ENCRYPTED_KEY_MODELS

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None

    def event_labels(self) -> list[str]:
        labels = dict(EventType.choices)
        return [labels.get(event, event) for event in self.events]


class WebhookDelivery(models.Model):
    """One event for one endpoint: its ``id`` is the ``webhook-id`` the receiver sees (``msg_<hex>``), the
    same on every attempt, so a receiver that keeps the ids it has seen acts on each event once.

    ``pending`` (due at ``next_attempt_at``) until a sender claims it with a compare-and-swap
    (``pending → sending``), then ``delivered`` (a 2xx), ``pending`` again for a retry with backoff, or
    ``failed`` after ``WEBHOOK_MAX_ATTEMPTS`` tries. A sender that died is found by the sweep and its rows
    are pending again: a delivery may then arrive twice, with the same id, never not at all."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    # The event once per endpoint: a task told of an event twice adds nothing (e.g. "award.issued:<id>").
    event_key = models.CharField(max_length=120)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)  # of the last attempt
    error = models.CharField(max_length=500, blank=True)  # of the last attempt, when it failed
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event_key"], name="one_delivery_per_event")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
                   models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log")]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} to {self.endpoint_id} ({self.status})"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.id.hex}"

    @property
    def payload_text(self) -> str:
        """The payload as the delivery log shows it: JSON, indented."""
        return json.dumps(self.payload, indent=2, ensure_ascii=False, sort_keys=True)


class WebhookAttempt(models.Model):
    """One try of a delivery: when, the receiver's HTTP status (or why there was none), how long it took."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(default=timezone.now)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.at:%Y-%m-%d %H:%M}: {self.response_status or self.error}"
