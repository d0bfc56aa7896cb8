"""Assertions: one badge awarded to one recipient."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from badges.models import BadgeClass
from issuers.models import OutboxEmail, Tenant
from issuers.scoping import TenantScopedManager


class BulkJob(models.Model):
    """One cohort award: the validated rows of a CSV, pasted list or API call, issued in the background."""

    class Status(models.TextChoices):
        # Created from the tutor's preview, waiting for "Issue N badges": neither run nor swept until then.
        PREVIEW = "preview", "Awaiting confirmation"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="bulk_jobs")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    badge_class = models.ForeignKey(BadgeClass, on_delete=models.PROTECT, related_name="bulk_jobs")
    source = models.CharField(max_length=20, default="csv")  # csv, paste, api
    filename = models.CharField(max_length=255, blank=True)
    # sha256 of the badge class and the normalised rows: the same file submitted twice is one job.
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows = models.JSONField(default=list)  # the good rows, each with its line number in the file
    options = models.JSONField(default=dict)  # notify, verification_type
    total = models.PositiveIntegerField(default=0)
    # Rows done (issued or refused), each chunk's committed with its awards; the job is done when it
    # reaches the number of rows. Before chunks were recorded in parallel it was a prefix: rows[:cursor].
    cursor = models.PositiveIntegerField(default=0)
    # Rows per chunk (BulkJobChunk), fixed when the job is first run so a chunk's number always names the
    # same rows; 0 until then.
    chunk_size = models.PositiveIntegerField(default=0)
    issued = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)  # [{"row", "email", "error"}]
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)  # e.g. "API key bp_ab12cd34" for the audit log
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["tenant", "fingerprint"], name="one_job_per_fingerprint")]

    def __str__(self) -> str:
        return f"{self.badge_class} × {self.total} ({self.status})"

    @property
    def progress_percent(self) -> int:
        done = self.issued + self.failed
        return 100 if not self.total else min(100, round(100 * done / self.total))


class BulkJobChunk(models.Model):
    """A chunk of a bulk job recorded: rows [number * chunk_size, (number + 1) * chunk_size). Written first in
    the transaction of the chunk's awards and unique per (job, number), so a chunk is recorded once by
    whichever process runs it, however often its task runs: a second run waits for the first's commit,
    then skips (``assertions.bulk.bulk_chunk_record``)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    job = models.ForeignKey(BulkJob, on_delete=models.CASCADE, related_name="chunks", db_index=False)
    number = models.PositiveIntegerField()
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = TenantScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="one_record_per_chunk")]

    def __str__(self) -> str:
        return f"chunk {self.number} of bulk job {self.job_id}"


class Assertion(models.Model):
    class RecipientType(models.TextChoices):
        EMAIL = "email", "Email"
        URL = "url", "URL"
        TELEPHONE = "telephone", "Telephone"

    class Verification(models.TextChoices):
        HOSTED = "hosted", "Hosted"
        SIGNED = "signed", "Signed"

    class BakeStatus(models.TextChoices):
        PENDING = "pending", "Image being baked"
        DONE = "done", "Image baked"
        FAILED = "failed", "Image failed"

    class EmailStatus(models.TextChoices):
        """The award's email as the tutor and the API see it, read from its outbox row (``mail``)."""

        NONE = "none", "No email"
        PENDING = "pending", "Email queued"
        SENDING = "sending", "Email sending"
        SENT = "sent", "Email sent"
        FAILED = "failed", "Email failed"
        # The worker died while sending: it may or may not have gone out. Never re-sent silently.
        UNKNOWN = "unknown", "Delivery unknown"

    # No index of its own: the usage, issue, badge and pattern indexes lead with it (migration 0017).
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="assertions", db_index=False)
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
                                    related_name="+", db_index=False)  # partial index below
    revoked = models.BooleanField(default=False)
    revocation_reason = models.CharField(max_length=300, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    baked_image = models.FileField(upload_to="baked/", blank=True)
    # The pipeline after commit: bake the image, then email the learner. The sweep re-enqueues what is stuck.
    bake_status = models.CharField(max_length=10, choices=BakeStatus.choices, default=BakeStatus.PENDING)
    bake_error = models.CharField(max_length=500, blank=True)
    # The latest message of the award email in the outbox (none when the learner is not emailed); a
    # Resend is a new message. The outbox sends it, at most once, after the bake.
    mail = models.ForeignKey(OutboxEmail, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The email telling the learner it was revoked, and why (when the tutor chose to send one).
    revocation_mail = models.ForeignKey(OutboxEmail, on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="+", db_index=False)  # partial index below
    # Claim links are signed (assertion public id + this nonce); a new nonce voids the old links.
    claim_nonce = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="claimed_assertions", db_index=False)  # partial index below
    bulk_job = models.ForeignKey(BulkJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="assertions",
                                 db_index=False)  # partial index below
    # Set on the award that corrected a mistyped address: the revoked one it replaces.
    replaces = models.OneToOneField("self", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="replaced_by")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  db_index=False)  # partial index below
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-issued_on", "-id"]
        # Migration 0017 took out what nothing used: (tenant, address) and (badge class, address), whose
        # equality lookups the pattern indexes of 0010 and 0016 answer (PostgreSQL chose those already), and
        # the tenant's own index. Foreign keys that are mostly empty are indexed only where set.
        indexes = [
            # A learner's awards from every college (the backpack): the address leads, no tenant.
            models.Index(fields=["recipient_identity"], name="assertion_recipient"),
            # The pipeline sweep's stuck bakes: only pending awards are in it, so a bake leaves it.
            models.Index(fields=["updated_at"], name="assertion_bake_pending",
                         condition=models.Q(bake_status="pending")),
            # usage per college and period, and its plan limits: index-only counts of awards and learners
            models.Index(fields=["tenant", "created_at", "recipient_identity"], name="assertion_usage"),
            # Newest first by (issued_on, id): the API's keyset pages, and a badge class's awards.
            models.Index(fields=["tenant", "issued_on", "id"], name="assertion_issued"),
            # The tenant first too: the scope always filters it, and with only the badge class leading the
            # planner preferred the tenant's index and filtered (a big badge's page read 5,000 other rows).
            models.Index(fields=["tenant", "badge_class", "issued_on", "id"], name="assertion_badge_newest"),
            # The expiry reminders' beat: live awards that expire, by when (assertions with no expiry are most).
            models.Index(fields=["expires"], name="assertion_expiring",
                         condition=models.Q(revoked=False, expires__isnull=False)),
            # Who claimed, issued, signed, batched, or was emailed a revocation: looked up (and set to null
            # when that row goes) by the one value, which a partial index of the set values answers.
            *[models.Index(fields=[name], name=f"assertion_{name}", condition=models.Q(**{f"{name}__isnull": False}))
              for name in ("claimed_by", "issued_by", "signing_key", "bulk_job", "revocation_mail")],
            # The issuer's public revocation list (OB 2.0): only the revoked awards (2 % of them), with what
            # the list shows, read from the index alone; by the badge class alone the list read every award
            # of the issuer (325 ms at 100,000).
            models.Index(fields=["tenant", "badge_class"], name="assertion_revoked",
                         include=["public_id", "revocation_reason", "issued_on", "id"],
                         condition=models.Q(revoked=True)),
        ]

    def __str__(self) -> str:
        return f"{self.badge_class} → {self.recipient_identity}"

    EMAIL_KIND = "award"
    REVOCATION_EMAIL_KIND = "revocation"

    @property
    def is_expired(self) -> bool:
        return bool(self.expires and self.expires <= timezone.now())

    @property
    def email_status(self) -> str:
        return email_status_of(self.mail.status if self.mail_id is not None and self.mail is not None else None)

    def get_email_status_display(self) -> str:
        return self.EmailStatus(self.email_status).label

    @property
    def email_error(self) -> str:
        return self.mail.error if self.mail_id and self.mail else ""

    @property
    def email_sent_at(self) -> datetime | None:
        return self.mail.sent_at if self.mail_id and self.mail else None

    @property
    def pipeline_status(self) -> str:
        """Where the award is, in the tutor's words: recorded → image baked → email sent → claimed."""
        return pipeline_status_of(revoked=self.revoked, claimed_at=self.claimed_at, email_status=self.email_status,
                                  bake_status=self.bake_status)


def email_status_of(mail_status: str | None) -> str:
    """An award's ``email_status`` from its outbox row's status (None: no email)."""
    return Assertion.EmailStatus.NONE if mail_status is None else _EMAIL_STATUS[mail_status]


def pipeline_status_of(*, revoked: bool, claimed_at: datetime | None, email_status: str, bake_status: str) -> str:
    """:attr:`Assertion.pipeline_status` from the columns it reads (for lists read with ``.values()``)."""
    if revoked:
        return "revoked"
    if claimed_at:
        return "claimed"
    if email_status in {Assertion.EmailStatus.SENT, Assertion.EmailStatus.FAILED, Assertion.EmailStatus.UNKNOWN}:
        return f"email_{email_status}"
    if bake_status == Assertion.BakeStatus.FAILED:
        return "image_failed"
    if bake_status == Assertion.BakeStatus.DONE:
        return "baked"
    return "recorded"


class Announcement(models.Model):
    """An award event (``assertions.events``) whose registered tasks are not known to be queued yet.
    Written in the transaction of the award or revocation it announces, and deleted once every task is
    queued; what is left (the broker was down, the process died before its commit hooks ran) is queued
    again by the pipeline sweep. A task may so hear of an event twice, never not at all: they are idempotent."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=20)
    kwargs = models.JSONField()  # what every registered task is called with (tenant_id included)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = TenantScopedManager()

    def __str__(self) -> str:
        return f"{self.event} {self.kwargs}"


# The outbox's states in the award's words (the API's ``email_status`` values predate the outbox).
_EMAIL_STATUS: dict[str, str] = {
    OutboxEmail.Status.QUEUED: Assertion.EmailStatus.PENDING,
    OutboxEmail.Status.SENDING: Assertion.EmailStatus.SENDING,
    OutboxEmail.Status.SENT: Assertion.EmailStatus.SENT,
    OutboxEmail.Status.FAILED: Assertion.EmailStatus.FAILED,
    OutboxEmail.Status.UNKNOWN: Assertion.EmailStatus.UNKNOWN,
}


class AwardTally(models.Model):
    """Kept counts of a badge class's awards by the day they were issued (in the college's time zone):
    the dashboard, a badge's page and the outcomes read these few rows instead of counting years of
    awards. Kept by the services that change them, in the same transaction (``assertions.tally``):
    issuing, claiming, revoking and erasing. ``claimed`` and ``revoked`` count the awards of that day
    now claimed or revoked, ``claimed_revoked`` those both (so live claims are ``claimed - claimed_revoked``).
    ``manage.py tally_rebuild`` recounts them from the awards."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    badge_class = models.ForeignKey(BadgeClass, on_delete=models.CASCADE, related_name="tallies")
    day = models.DateField()
    issued = models.IntegerField(default=0)
    claimed = models.IntegerField(default=0)
    revoked = models.IntegerField(default=0)
    claimed_revoked = models.IntegerField(default=0)

    objects = TenantScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["badge_class", "day"], name="one_tally_per_badge_day")]
        indexes = [models.Index(fields=["tenant", "day"], name="tally_tenant_day")]

    def __str__(self) -> str:
        return f"{self.day}: {self.issued} issued"


class ClaimDelayTally(models.Model):
    """How long a badge's awards of one issue day took to be claimed, kept as a histogram: ``hours`` is
    the delay rounded down to the hour (to the day, in hours, from two days on), ``count`` the claims.
    The outcomes' "median hours to claim" is read from these rows, not from every claimed award."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    badge_class = models.ForeignKey(BadgeClass, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    hours = models.IntegerField()
    count = models.IntegerField(default=0)

    objects = TenantScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["badge_class", "day", "hours"], name="one_delay_bucket")]
        indexes = [models.Index(fields=["tenant", "day"], name="claim_delay_tenant_day")]

    def __str__(self) -> str:
        return f"{self.day} +{self.hours} h: {self.count}"
