"""Tenants (colleges), their staff, API keys, audit log, and their Open Badges issuer profiles."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from issuers.branding import Brand, brand_of
from issuers.scoping import TenantScopedManager


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/London).")


hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour such as #1d4ed8.")


class Tenant(models.Model):
    """A college or training provider. Not itself scoped: it *is* the scope."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    contact_email = models.EmailField(blank=True)
    reply_to_email = models.EmailField(blank=True, help_text="Replies to award emails go here.")
    logo = models.ImageField(upload_to="tenants/logos/", blank=True)
    primary_colour = models.CharField(max_length=7, default="#1d4ed8", validators=[hex_colour])
    # LinkedIn's number for the college's company page: "Add to LinkedIn profile" names the organisation by
    # it, so LinkedIn shows the college's own page and logo; without it, the college's name is sent.
    linkedin_organization_id = models.CharField(
        "LinkedIn organisation id", max_length=20, blank=True,
        validators=[RegexValidator(r"^[0-9]+$", "The LinkedIn organisation id is a number, e.g. 1337.")],
        help_text="The number in your LinkedIn page's admin address: open your college's LinkedIn page as an "
                  "admin; the address reads linkedin.com/company/<number>/admin/. Copy that number. Leave empty "
                  "to send the college's name instead (LinkedIn then shows no logo).")
    timezone = models.CharField(max_length=64, default="Europe/London", validators=[validate_timezone])
    require_mfa = models.BooleanField(
        default=False, help_text="Staff must set up two-factor authentication before using this tenant."
    )
    # Why the platform suspended (or re-activated) it: the college's staff see it on every page.
    status_reason = models.CharField(max_length=300, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Optional limits of the college's plan, enforced by the issuing service (assertions.services):
    # awards recorded in a calendar month, and distinct learners awarded in a calendar year (both in the
    # college's time zone). Empty means no limit. Badges already issued are never affected.
    limit_badges_per_month = models.PositiveIntegerField(null=True, blank=True)
    limit_learners_per_year = models.PositiveIntegerField(null=True, blank=True)

    class CertificateOrientation(models.TextChoices):
        LANDSCAPE = "landscape", "Landscape (A4, wide)"
        PORTRAIT = "portrait", "Portrait (A4, tall)"

    certificate_orientation = models.CharField(
        max_length=10, choices=CertificateOrientation.choices, default=CertificateOrientation.LANDSCAPE,
        help_text="How learners' printable certificates are laid out: always one A4 page.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def logo_url(self) -> str:
        """Where pages and emails load the college's logo: our own view, which reads it from whatever
        storage holds it (object storage's signed links expire, and production serves no /media/)."""
        return reverse("college_logo", args=[self.public_id]) if self.logo else ""

    @property
    def suspended_message(self) -> str:
        """What every refused write of a suspended tenant says (web, API, invitation and endorsement links)."""
        reason = f" Reason: {self.status_reason}" if self.status_reason else ""
        return (f"{self.name} is suspended: its badges, issuers and settings can be read but not changed "
                f"until the platform re-activates it. Badges already issued stay valid.{reason}")

    @property
    def brand(self) -> Brand:
        """The college's colour with a readable text colour on it and a readable shade of it on white."""
        return brand_of(self.primary_colour)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The college's time zone: what its dates mean (``issuers.dates``)."""
        return zoneinfo.ZoneInfo(self.timezone)


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    ISSUER = "issuer", "Issuer (tutor / assessor)"
    VIEWER = "viewer", "Viewer"


class Membership(models.Model):
    """A member of staff of a tenant. Learners have none."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ISSUER)
    # Empty means every issuer of the tenant; otherwise an issuer-role member may only use these.
    issuers = models.ManyToManyField("issuers.Issuer", blank=True, related_name="limited_members")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="one_membership_per_tenant")]
        ordering = ["user__email"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant} ({self.role})"


class OutboxEmail(models.Model):
    """One email message the platform sends, whatever its kind (see ``issuers.outbox``): an award, a staff
    invitation, an endorsement request, an expiry reminder, an account email.

    ``queued`` until a sender claims it with a compare-and-swap (``queued → sending``), then ``sent``,
    ``failed`` with the mail server's words, or ``unknown`` (the connection broke or the worker died while
    it was going out: it may have arrived, so it is never sent again silently). The row that the email is
    about (an assertion, an invitation...) points at its latest message; "Resend" is a new message.
    Tenant-owned rows are reached only through their tenant's rows (which are scoped); account emails
    have no tenant."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Not delivered"
        UNKNOWN = "unknown", "Delivery unknown"

    # A UUID made by the caller: a cohort's 10,000 award emails are written with COPY, and their
    # assertions point at them, without reading any id back.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: outbox_email_usage leads with it.
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                               db_index=False)
    kind = models.CharField(max_length=32)  # names the code that writes the message (issuers.outbox.EMAIL_KINDS)
    to = models.CharField(max_length=320)
    # The message itself, for kinds that write it when it is queued (account emails, reminders); empty for
    # kinds that write it when it is sent (awards, and link emails, whose link is never stored).
    content = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)  # times a sender claimed it
    claim = models.UUIDField(null=True, blank=True)  # the claim of the sender that holds it (while sending)
    created_at = models.DateTimeField(default=timezone.now)
    # Set by every change of status (queryset updates, so not auto_now): the sweep reads it. A retry
    # dates it at the retry, so the sweep does not start a second send meanwhile.
    updated_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The sweeps and the console read queued, sending, failed and unknown emails: sent ones (nearly
        # all, over the years) are not in the index.
        indexes = [models.Index(fields=["status", "updated_at"], name="outbox_email_unsent",
                                condition=~models.Q(status="sent")),
                   # usage per college and month (console): emails sent
                   models.Index(fields=["tenant", "sent_at"], name="outbox_email_usage")]

    def __str__(self) -> str:
        return f"{self.kind} email to {self.to} ({self.status})"


class LinkEmail(models.Model):
    """A row whose one-time link goes out by email: its latest message in the outbox (see ``issuers.outbox``)."""

    EMAIL_KIND: ClassVar[str]  # the outbox kind of its emails

    mail = models.ForeignKey(OutboxEmail, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        abstract = True

    # What the admin sees beside the Resend button, read from the outbox row.
    @property
    def email_status(self) -> str:
        return self.mail.status if self.mail else OutboxEmail.Status.QUEUED

    def get_email_status_display(self) -> str:
        return self.mail.get_status_display() if self.mail else OutboxEmail.Status.QUEUED.label

    @property
    def email_error(self) -> str:
        return self.mail.error if self.mail else ""

    @property
    def email_sent_at(self) -> datetime | None:
        return self.mail.sent_at if self.mail else None


class Invitation(LinkEmail):
    EMAIL_KIND = "invitation"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="invitations")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ISSUER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = TenantScopedManager()

    class Meta(LinkEmail.Meta):
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.tenant}"

    @property
    def audit_label(self) -> str:
        return self.email

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class ApiKey(models.Model):
    """A tenant's API key. Only a SHA-256 of the secret is stored; ``prefix`` identifies it in lists."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_keys")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AuditEntry(models.Model):
    """Who did what, when, in a tenant. Written by services in the same transaction as the change."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    actor_label = models.CharField(max_length=200, blank=True, help_text="e.g. 'API key ab12cd34' or 'system'")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # What the entry names, as it was then (the object may be renamed or gone): the badge of an award,
    # the issuer, the invited address, ...; for awards the learner, masked (l•••@example.org).
    object_label = models.CharField(max_length=200, blank=True)
    learner = models.CharField(max_length=200, blank=True)
    badge = models.UUIDField(null=True, blank=True, help_text="Public id of the badge class concerned, if any.")
    summary = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        # The log is read newest first a page at a time (keyset on id), for everything or by one filter.
        indexes = [
            models.Index(fields=["tenant", "-id"], name="audit_tenant_newest"),
            models.Index(fields=["tenant", "action", "-id"], name="audit_tenant_action"),
            models.Index(fields=["tenant", "actor_label", "-id"], name="audit_tenant_actor"),
            models.Index(fields=["tenant", "badge", "-id"], name="audit_tenant_badge"),
            models.Index(fields=["tenant", "created_at"], name="audit_tenant_created"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"


class Issuer(models.Model):
    """An Open Badges issuer Profile (a college, or one of its departments)."""

    class Verification(models.TextChoices):
        HOSTED = "hosted", "Hosted"
        SIGNED = "signed", "Signed"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="issuers")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    url = models.URLField("website", help_text="The college's or department's public website.")
    email = models.EmailField(help_text="A public contact address for badge enquiries.")
    description = models.TextField(blank=True)
    image = models.FileField(upload_to="issuers/", blank=True)
    default_verification = models.CharField(
        max_length=10, choices=Verification.choices, default=Verification.HOSTED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SigningKey(models.Model):
    """An issuer's RSA key pair. The private key is stored encrypted (see ``issuers.keys``)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    issuer = models.ForeignKey(Issuer, on_delete=models.CASCADE, related_name="signing_keys")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    public_key_pem = models.TextField()
    private_key_encrypted = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True, help_text="Retired keys verify, never sign.")

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Key {self.public_id} of {self.issuer}"

    @property
    def audit_label(self) -> str:
        return self.issuer.name


class IdempotencyKey(models.Model):
    """An ``Idempotency-Key`` sent with an API POST, and the response it got: a retry with the same key
    replays that response instead of acting twice (see ``badgeplatform.api.idempotent``)."""

    class Status(models.TextChoices):
        IN_FLIGHT = "in_flight", "In flight"
        DONE = "done", "Done"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    # sha256 of the method, path, query and body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.IN_FLIGHT)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(blank=True, default=b"")
    response_content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="one_idempotency_key_per_tenant")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"


class PeriodicRun(models.Model):
    """The last run of each beat task, recorded by ``issuers.tasks.PeriodicTask`` (their base class) for
    the platform's health page."""

    task = models.CharField(max_length=200, unique=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    succeeded = models.BooleanField(null=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["task"]

    def __str__(self) -> str:
        return f"{self.task} at {self.started_at:%Y-%m-%d %H:%M}"
