"""The REST API's shapes for issuer profiles. Validation of meaning stays in ``issuers.services``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from issuers.dates import public_timestamp
from issuers.models import Issuer


class UTCDateTimeField(serializers.DateTimeField):
    """A date-time as every public document writes it: UTC, whole seconds, ``Z``. DRF would write the
    current time zone's offset (the college's, inside its tenant context)."""

    def to_representation(self, value: datetime | None) -> str | None:  # type: ignore[override]
        return public_timestamp(value) if value else None


class ModelSerializer(serializers.ModelSerializer):
    """The API's model serializers: model date-times come out through :class:`UTCDateTimeField`."""

    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping,
                                models.DateTimeField: UTCDateTimeField}


@extend_schema_field({"type": "string", "format": "uuid"})
class PublicIdField(serializers.RelatedField):
    """Another object named by its public id (UUID), looked up in the request's tenant scope: another
    college's id is "not found", exactly like an id that never existed."""

    def __init__(self, *, model: type[Model], what: str, **kwargs: Any) -> None:
        self.model, self.what = model, what
        if not kwargs.get("read_only"):
            kwargs["queryset"] = model  # placeholder; get_queryset() builds it per request, inside the scope
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        return self.model._default_manager.all()  # the model's `objects`, as Django names it for any model

    def to_internal_value(self, data: Any) -> Model:
        try:
            public_id = uuid.UUID(str(data))
        except ValueError:
            raise serializers.ValidationError(f"{data!r} is not an id: ids are UUIDs.") from None
        found = self.get_queryset().filter(public_id=public_id).first()
        if found is None:
            raise serializers.ValidationError(f"No {self.what} with id {public_id} in your college.")
        return found

    def to_representation(self, value: Any) -> str:  # a model instance with a public_id
        return str(value.public_id)


def public_issuer_url(issuer: Issuer) -> str:
    return f"{settings.PUBLIC_BASE_URL}/public/issuers/{issuer.public_id}"


class IssuerSerializer(ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    open_badge_id = serializers.SerializerMethodField(help_text="The public Open Badges Profile URL.")
    default_verification = serializers.ChoiceField(choices=Issuer.Verification.choices,
                                                   default=Issuer.Verification.HOSTED)
    description = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        model = Issuer
        fields = ["id", "open_badge_id", "name", "url", "email", "description", "default_verification",
                  "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def get_open_badge_id(self, obj: Issuer) -> str:
        return public_issuer_url(obj)
