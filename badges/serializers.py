"""The REST API's shapes for badge classes. Multipart sends ``alignments`` and ``tags`` as JSON text;
JSON sends them as lists. The image is validated by ``badges.images`` inside the service."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from badges.models import BadgeClass
from issuers.models import Issuer
from issuers.parsers import JSONTooDeep, loads
from issuers.serializers import ModelSerializer, PublicIdField

ALIGNMENT_KEYS = {"targetName", "targetUrl", "targetDescription", "targetFramework", "targetCode"}
MAX_IMAGE_UPLOAD = 1024 * 1024  # the service's own limit is lower; this only bounds what is read


def public_badge_url(badge: BadgeClass, suffix: str = "") -> str:
    return f"{settings.PUBLIC_BASE_URL}/public/badges/{badge.public_id}{suffix}"


@extend_schema_field({"type": "array", "items": {"type": "object"}})
class JSONListField(serializers.Field):
    """A list, given as a JSON list or (in multipart forms) as a string holding one."""

    def __init__(self, *, max_items: int = 50, **kwargs: Any) -> None:
        self.max_items = max_items
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list:
        if isinstance(data, str):
            try:
                data = loads(data) if data.strip() else []
            except JSONTooDeep as exc:
                raise serializers.ValidationError(f"{exc.msg}.") from None
            except ValueError:
                raise serializers.ValidationError('Must be a JSON list, e.g. ["welding", "level 2"].') from None
        if not isinstance(data, list):
            raise serializers.ValidationError("Must be a list.")
        if len(data) > self.max_items:
            raise serializers.ValidationError(f"At most {self.max_items} items.")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class TagsField(JSONListField):
    def to_internal_value(self, data: Any) -> list[str]:
        tags = super().to_internal_value(data)
        if not all(isinstance(t, str) and 0 < len(t.strip()) <= 60 for t in tags):
            raise serializers.ValidationError("Each tag must be a non-empty string of at most 60 characters.")
        return [t.strip() for t in tags]


_ALIGNMENT_SCHEMA = {"type": "object", "required": ["targetName", "targetUrl"],
                     "properties": {k: {"type": "string"} for k in sorted(ALIGNMENT_KEYS)}}


@extend_schema_field({"type": "array", "items": _ALIGNMENT_SCHEMA})
class AlignmentsField(JSONListField):
    def to_internal_value(self, data: Any) -> list[dict[str, str]]:
        alignments = super().to_internal_value(data)
        url = serializers.URLField()
        for number, item in enumerate(alignments, start=1):
            if not isinstance(item, dict):
                raise serializers.ValidationError(f"Alignment {number} must be an object with targetName and "
                                                  "targetUrl.")
            unknown = set(item) - ALIGNMENT_KEYS
            if unknown:
                raise serializers.ValidationError(f"Alignment {number}: unknown keys {', '.join(sorted(unknown))}; "
                                                  f"allowed: {', '.join(sorted(ALIGNMENT_KEYS))}.")
            if not all(isinstance(v, str) for v in item.values()):
                raise serializers.ValidationError(f"Alignment {number}: every value must be a string.")
            if not item.get("targetName", "").strip() or not item.get("targetUrl", "").strip():
                raise serializers.ValidationError(f"Alignment {number} needs targetName and targetUrl.")
            try:
                url.run_validation(item["targetUrl"])
            except serializers.ValidationError:
                raise serializers.ValidationError(f"Alignment {number}: targetUrl is not a web address.") from None
        return alignments


class BadgeClassSerializer(ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    open_badge_id = serializers.SerializerMethodField(help_text="The public Open Badges BadgeClass URL.")
    issuer = PublicIdField(model=Issuer, what="issuer", help_text="The id of one of your issuers.")
    image = serializers.FileField(write_only=True, help_text="PNG or SVG, square, at least 90 px, at most 256 KB.")
    image_url = serializers.SerializerMethodField()
    alignments = AlignmentsField(required=False)
    tags = TagsField(required=False)
    retired = serializers.SerializerMethodField()
    previous_version: serializers.SlugRelatedField[BadgeClass] = serializers.SlugRelatedField(
        slug_field="public_id", read_only=True)

    class Meta:
        model = BadgeClass
        fields = ["id", "open_badge_id", "issuer", "name", "description", "image", "image_url", "image_type",
                  "criteria_narrative", "criteria_url", "alignments", "tags", "validity_days", "achievement_type",
                  "credits_available", "field_of_study", "human_code", "in_language", "retired",
                  "retired_at", "previous_version", "created_at", "updated_at"]
        read_only_fields = ["image_type", "retired_at", "created_at", "updated_at"]
        extra_kwargs = {"validity_days": {"min_value": 1, "max_value": 36500},
                        "credits_available": {"coerce_to_string": False, "min_value": 0}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            self.fields["issuer"].read_only = True  # a badge class stays with its issuer

    def get_open_badge_id(self, obj: BadgeClass) -> str:
        return public_badge_url(obj)

    @extend_schema_field(OpenApiTypes.URI)
    def get_image_url(self, obj: BadgeClass) -> str:
        return public_badge_url(obj, "/image")

    def get_retired(self, obj: BadgeClass) -> bool:
        return obj.retired_at is not None

    def validate_image(self, upload: Any) -> bytes:
        if upload.size > MAX_IMAGE_UPLOAD:
            raise serializers.ValidationError("The image is too large; the limit is 256 KB.")
        return upload.read()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and not (attrs.get("criteria_narrative", "").strip() or attrs.get("criteria_url")):
            raise serializers.ValidationError(
                {"criteria_narrative": ["Say what a learner must show: give criteria_narrative or criteria_url."]})
        return attrs
