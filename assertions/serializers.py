"""The REST API's shapes for awards (assertions) and cohort jobs. What the values *mean* (a valid
recipient, dates in order, an awardable badge) is checked by ``assertions.services``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from assertions import links
from assertions.documents import public_url
from assertions.models import Assertion, BulkJob, email_status_of, pipeline_status_of
from badges.models import BadgeClass
from issuers.dates import public_timestamp
from issuers.serializers import ModelSerializer

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ALLOW_DUPLICATE_HELP = "true: award it even if the learner already holds this badge (default false)."
ALLOW_DUPLICATE_HELP_BULK = ("true: also award learners who already hold this badge, and rows repeated in the file "
                             "(default false: those rows are listed as problems).")


@extend_schema_field({"type": "string", "description": "A date (2026-09-30) or a date-time (ISO 8601)."})
class DateOrDateTimeField(serializers.Field):
    """``2026-09-30`` (a day, read in the college's time zone) or a full ISO 8601 date-time."""

    def to_internal_value(self, data: Any) -> date | datetime:
        if not isinstance(data, str):
            raise serializers.ValidationError("Must be a date such as 2026-09-30, or an ISO 8601 date-time.")
        data = data.strip()
        if _DATE.match(data):
            try:
                return date.fromisoformat(data)
            except ValueError:
                raise serializers.ValidationError(f"{data!r} is not a real date.") from None
        return serializers.DateTimeField().run_validation(data)

    def to_representation(self, value: Any) -> Any:
        return value


class EvidenceSerializer(serializers.Serializer):
    url = serializers.URLField(required=False, allow_blank=True, max_length=2000)
    narrative = serializers.CharField(required=False, allow_blank=True, max_length=5000)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs.get("url") or attrs.get("narrative", "").strip()):
            raise serializers.ValidationError("Evidence needs a url, a narrative, or both.")
        return attrs


class AssertionCreateSerializer(serializers.Serializer):
    recipient_email = serializers.EmailField(max_length=320)
    recipient_name = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    # many=True makes a ListSerializer, which takes max_length; the stubs type the call as an EvidenceSerializer.
    evidence = EvidenceSerializer(many=True, required=False, max_length=20)  # type: ignore[call-arg]
    narrative = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")
    issued_on = DateOrDateTimeField(required=False, help_text="Default: now.")
    expires = DateOrDateTimeField(required=False, help_text="Default: from the badge class's validity, if any.")
    notify = serializers.BooleanField(required=False, default=True, help_text="Email the learner (default true).")
    verification = serializers.ChoiceField(choices=Assertion.Verification.choices, required=False,
                                           help_text="Default: the issuer's.")
    allow_duplicate = serializers.BooleanField(
        required=False, default=False, help_text=f"{ALLOW_DUPLICATE_HELP} Otherwise the request is refused with 409.")


class BulkRowsSerializer(serializers.Serializer):
    """JSON: ``{"rows": [{"email", "name", "evidence_url", ...}], "notify", "verification"}``."""

    rows = serializers.ListField(child=serializers.JSONField(), allow_empty=False,
                                 help_text="Objects with email and optional name, evidence_url, evidence_narrative, "
                                           "narrative, issued_on, expires. Row numbers start at 2, as in a CSV.")
    notify = serializers.BooleanField(required=False, default=True)
    verification = serializers.ChoiceField(choices=Assertion.Verification.choices, required=False)
    allow_duplicate = serializers.BooleanField(required=False, default=False, help_text=ALLOW_DUPLICATE_HELP_BULK)


class BulkFileSerializer(serializers.Serializer):
    """Multipart: a CSV ``file`` with a header line (email, name, and optional evidence_url,
    evidence_narrative, narrative, issued_on, expires)."""

    file = serializers.FileField()
    notify = serializers.BooleanField(required=False, default=True)
    verification = serializers.ChoiceField(choices=Assertion.Verification.choices, required=False)
    allow_duplicate = serializers.BooleanField(required=False, default=False, help_text=ALLOW_DUPLICATE_HELP_BULK)


class ProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="The line in the file, header included.")
    email = serializers.CharField()
    error = serializers.CharField()


class BulkPreviewSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    total = serializers.IntegerField()
    good = serializers.IntegerField()
    problems = ProblemSerializer(many=True)


class BulkJobSerializer(ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    url = serializers.SerializerMethodField()
    badge_class: serializers.SlugRelatedField[BadgeClass] = serializers.SlugRelatedField(
        slug_field="public_id", read_only=True)
    # A declared field: DRF's metaclass takes it out of the class, so it does not hide Serializer.errors.
    errors = ProblemSerializer(many=True, read_only=True)  # type: ignore[assignment]

    class Meta:
        model = BulkJob
        fields = ["id", "url", "status", "badge_class", "source", "filename", "total", "issued", "failed", "errors",
                  "progress_percent", "created_at", "finished_at"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, job: BulkJob) -> str:
        return reverse("api:job", args=[job.public_id], request=self.context.get("request"))


class AssertionSerializer(ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    open_badge_id = serializers.SerializerMethodField(help_text="The public Open Badges Assertion URL.")
    badge_class: serializers.SlugRelatedField[BadgeClass] = serializers.SlugRelatedField(
        slug_field="public_id", read_only=True)
    badge_class_name = serializers.CharField(source="badge_class.name", read_only=True)
    recipient_email = serializers.CharField(source="recipient_identity", read_only=True)
    evidence = serializers.SerializerMethodField()
    verification = serializers.CharField(source="verification_type", read_only=True)
    status = serializers.CharField(source="pipeline_status", read_only=True,
                                   help_text="recorded, baked, image_failed, email_sent, email_failed, "
                                             "email_unknown (resend?), claimed or revoked.")
    email_status = serializers.ChoiceField(choices=Assertion.EmailStatus.choices, read_only=True)
    email_error = serializers.CharField(read_only=True)
    image_url = serializers.SerializerMethodField(help_text="The baked badge image.")
    share_url = serializers.SerializerMethodField(help_text="The learner's share page, once it exists.")
    ob3_credential_url = serializers.SerializerMethodField(
        help_text="The Open Badges 3.0 credential (application/vc+ld+json, with its eddsa-rdfc-2022 proof).")
    ob3_jwt_url = serializers.SerializerMethodField(help_text="The same credential as a VC-JWT (text/plain).")
    ob3_image_url = serializers.SerializerMethodField(help_text="The badge image with the OB 3.0 credential baked in.")
    bulk_job: serializers.SlugRelatedField[BulkJob] = serializers.SlugRelatedField(slug_field="public_id",
                                                                                   read_only=True)

    class Meta:
        model = Assertion
        fields = ["id", "open_badge_id", "badge_class", "badge_class_name", "recipient_type", "recipient_email",
                  "recipient_name", "issued_on", "expires", "evidence", "narrative", "verification", "revoked",
                  "revocation_reason", "revoked_at", "status", "bake_status", "email_status", "email_error",
                  "claimed_at", "image_url", "share_url", "ob3_credential_url", "ob3_jwt_url", "ob3_image_url",
                  "bulk_job", "created_at"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_open_badge_id(self, obj: Assertion) -> str:
        return links.verify_url(obj)

    @extend_schema_field({"type": "array", "items": {"type": "object", "properties": {
        "url": {"type": "string"}, "narrative": {"type": "string"}}}})
    def get_evidence(self, obj: Assertion) -> list[dict[str, str]]:
        return [{"url": e.get("id", ""), "narrative": e.get("narrative", "")} for e in obj.evidence]

    @extend_schema_field(OpenApiTypes.URI)
    def get_image_url(self, obj: Assertion) -> str:
        return links.download_url(obj)

    @extend_schema_field(OpenApiTypes.URI)
    def get_ob3_credential_url(self, obj: Assertion) -> str:
        return links.credential_url(obj.public_id)

    @extend_schema_field(OpenApiTypes.URI)
    def get_ob3_jwt_url(self, obj: Assertion) -> str:
        return links.credential_url(obj.public_id, "/jwt")

    @extend_schema_field(OpenApiTypes.URI)
    def get_ob3_image_url(self, obj: Assertion) -> str:
        return links.credential_url(obj.public_id, "/image")

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_share_url(self, obj: Assertion) -> str | None:
        # Hook: the learner issue adds ``assertions.links.share_url(assertion)``; until then, null.
        share_url = getattr(links, "share_url", None)
        return share_url(obj) if share_url is not None else None


# The columns :func:`assertion_rows` reads, for ``Assertion.objects....values(*ASSERTION_ROW_COLUMNS)``.
ASSERTION_ROW_COLUMNS = (
    "id", "public_id", "badge_class__public_id", "badge_class__name", "recipient_type", "recipient_identity",
    "recipient_name", "issued_on", "expires", "evidence", "narrative", "verification_type", "revoked",
    "revocation_reason", "revoked_at", "claimed_at", "bake_status", "mail_id", "mail__status", "mail__error",
    "bulk_job__public_id", "created_at",
)


def assertion_row(assertion: Assertion) -> dict[str, Any]:
    """The row ``.values(*ASSERTION_ROW_COLUMNS)`` reads, from an award in memory whose badge class and email
    row are loaded (a new award from ``assertion_issue`` has them), for :func:`assertion_rows`: the single
    award's answer without DRF's serializer (a tenth of the request's CPU) or another query."""
    badge, mail = assertion.badge_class, assertion.mail if assertion.mail_id is not None else None
    job = assertion.bulk_job if assertion.bulk_job_id is not None else None
    return {
        "id": assertion.pk, "public_id": assertion.public_id, "badge_class__public_id": badge.public_id,
        "badge_class__name": badge.name, "recipient_type": assertion.recipient_type,
        "recipient_identity": assertion.recipient_identity, "recipient_name": assertion.recipient_name,
        "issued_on": assertion.issued_on, "expires": assertion.expires, "evidence": assertion.evidence,
        "narrative": assertion.narrative, "verification_type": assertion.verification_type,
        "revoked": assertion.revoked, "revocation_reason": assertion.revocation_reason,
        "revoked_at": assertion.revoked_at, "claimed_at": assertion.claimed_at, "bake_status": assertion.bake_status,
        "mail_id": assertion.mail_id, "mail__status": mail.status if mail is not None else None,
        "mail__error": mail.error if mail is not None else None,
        "bulk_job__public_id": job.public_id if job is not None else None,
        "created_at": assertion.created_at,
    }


def _when(value: datetime | None) -> str | None:
    return public_timestamp(value) if value else None


def assertion_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """:class:`AssertionSerializer`'s output for rows read with ``.values(*ASSERTION_ROW_COLUMNS)``, in one
    pass of plain code: DRF's per-field machinery (field lookups, ``to_representation`` per field and per
    row, the model instances and their related objects) was most of a 500-award page's CPU. The same keys
    in the same order and the same values, so the same JSON byte for byte
    (tests/api/test_api_fast_rows.py compares the two for awards of every kind)."""
    base = public_url("assertions", "")
    credentials = links.credential_url("")
    out = []
    for row in rows:
        public_id = str(row["public_id"])
        mail_status = row["mail__status"] if row["mail_id"] is not None else None
        email_status = email_status_of(mail_status)
        bulk_job = row["bulk_job__public_id"]
        out.append({
            "id": public_id,
            "open_badge_id": base + public_id,
            "badge_class": str(row["badge_class__public_id"]),
            "badge_class_name": row["badge_class__name"],
            "recipient_type": row["recipient_type"],
            "recipient_email": row["recipient_identity"],
            "recipient_name": row["recipient_name"],
            "issued_on": _when(row["issued_on"]),
            "expires": _when(row["expires"]),
            "evidence": [{"url": e.get("id", ""), "narrative": e.get("narrative", "")} for e in row["evidence"]],
            "narrative": row["narrative"],
            "verification": row["verification_type"],
            "revoked": row["revoked"],
            "revocation_reason": row["revocation_reason"],
            "revoked_at": _when(row["revoked_at"]),
            "status": pipeline_status_of(revoked=row["revoked"], claimed_at=row["claimed_at"],
                                         email_status=email_status, bake_status=row["bake_status"]),
            "bake_status": row["bake_status"],
            "email_status": str(email_status),
            "email_error": (row["mail__error"] or "") if mail_status is not None else "",
            "claimed_at": _when(row["claimed_at"]),
            "image_url": base + public_id + "/image",
            "share_url": links.share_url_of(public_id),
            "ob3_credential_url": credentials + public_id,
            "ob3_jwt_url": credentials + public_id + "/jwt",
            "ob3_image_url": credentials + public_id + "/image",
            "bulk_job": str(bulk_job) if bulk_job is not None else None,
            "created_at": _when(row["created_at"]),
        })
    return out
