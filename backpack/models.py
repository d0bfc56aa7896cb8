"""The learner layer: what a learner keeps, shows and groups. Owned by users, not tenants.

Our own awards stay tenant rows (``assertions.Assertion``); a learner's choices about one of them
(visibility, showing their name, declining it) live in a ``BackpackEntry``. A badge earned elsewhere
is an ``ImportedBadge`` (Open Badges 2.0 or 3.0), kept byte for byte as it was imported, with its own
entry.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public: on my collection pages and its share page"
    LINK = "link", "Anyone with the link"
    PRIVATE = "private", "Only me"


class ImportedBadge(models.Model):
    """A badge earned elsewhere, as the learner gave it to us."""

    class Source(models.TextChoices):
        PNG = "png", "Baked PNG"
        SVG = "svg", "Baked SVG"
        URL = "url", "Assertion or credential URL"
        JWS = "jws", "Signed badge (JWS or VC-JWT)"
        JSON = "json", "Assertion or credential JSON"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="imported_badges")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    source = models.CharField(max_length=4, choices=Source.choices)
    # Exactly what was imported, returned unchanged on export.
    original = models.BinaryField()
    original_filename = models.CharField(max_length=255, blank=True)
    assertion_url = models.URLField(max_length=2048, blank=True)
    matched_email = models.EmailField(max_length=320)
    verdict = models.CharField(max_length=10)  # valid, revoked, expired, invalid (from the verifier)
    checks = models.JSONField(default=list)
    badge = models.JSONField(default=dict)  # the verifier's description of the badge
    issuer = models.JSONField(default=dict)
    checked_at = models.DateTimeField()
    imported_at = models.DateTimeField(auto_now_add=True)
    # ``badge["issued_on"]`` as a moment, kept beside it so the backpack's grid is ordered (and paged) by
    # the database: our awards by their issue moment, imports by this, else by when they were added.
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.badge.get('name', 'Badge')} (imported by {self.user_id})"

    @property
    def ob3(self) -> bool:
        """An Open Badges 3.0 credential (the verifier says which standard it read)."""
        return self.badge.get("standard") == "Open Badges 3.0"

    @property
    def content_type(self) -> str:
        json_type = "application/vc+ld+json" if self.ob3 else "application/ld+json"
        return {"png": "image/png", "svg": "image/svg+xml", "json": json_type}.get(self.source, "text/plain")

    @property
    def extension(self) -> str:
        return {"png": "png", "svg": "svg", "json": "json", "jws": "jwt" if self.ob3 else "jws"}.get(
            self.source, "txt")


class BackpackEntry(models.Model):
    """One badge in one learner's backpack: ours (``assertion``) or imported (``imported``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="backpack_entries")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    assertion = models.ForeignKey("assertions.Assertion", on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="backpack_entries")
    imported = models.OneToOneField(ImportedBadge, on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="entry")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.LINK)
    show_name = models.BooleanField(default=False, help_text="Show my name on the badge's share page.")
    # Share pages are noindex unless the learner opts in (many learners are minors).
    indexable = models.BooleanField(default=False, help_text="Let search engines list the share page.")
    declined_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "assertion"], name="one_entry_per_award_and_user"),
            models.CheckConstraint(
                condition=models.Q(assertion__isnull=False, imported__isnull=True)
                | models.Q(assertion__isnull=True, imported__isnull=False),
                name="entry_is_ours_or_imported",
            ),
        ]

    def __str__(self) -> str:
        return f"entry {self.public_id}"


class Collection(models.Model):
    """A named group of badges with its own page, e.g. "Level 2 Construction"."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="badge_collections")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.LINK)
    entries = models.ManyToManyField(BackpackEntry, through="CollectionItem", related_name="collections")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CollectionItem(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    entry = models.ForeignKey(BackpackEntry, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["collection", "entry"], name="badge_once_per_collection")]

    def __str__(self) -> str:
        return f"{self.collection_id}#{self.position}"


class ExpiryReminder(models.Model):
    """One reminder per award, recorded with its outbox message so it never goes twice."""

    EMAIL_KIND = "expiry_reminder"

    assertion = models.OneToOneField("assertions.Assertion", on_delete=models.CASCADE, related_name="+")
    mail = models.ForeignKey("issuers.OutboxEmail", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"reminder for {self.assertion_id}"
