"""The REST API's shapes for webhook endpoints and their deliveries. Validation of meaning (the URL's
address, the events) stays in ``webhooks.services``."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from issuers.serializers import ModelSerializer, UTCDateTimeField
from webhooks.models import EventType, WebhookDelivery, WebhookEndpoint


class EndpointSerializer(ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    url = serializers.CharField(max_length=500, help_text="https:// URL of your system that receives the events.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices), allow_empty=False,
                                   help_text="The events to send: " + ", ".join(EventType.values) + ".")
    enabled = serializers.BooleanField(read_only=True)
    previous_secret_until = UTCDateTimeField(read_only=True, help_text="The old secret signs too until then.")

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "events", "enabled", "disabled_at", "disabled_reason",
                  "failing_since", "last_success_at", "previous_secret_until", "created_at"]
        read_only_fields = ["disabled_at", "disabled_reason", "failing_since", "last_success_at", "created_at"]


class SecretSerializer(serializers.Serializer):
    """An endpoint's signing secret. Only ever in a GET: a POST's answer is kept with its Idempotency-Key,
    and a secret must not be kept anywhere but encrypted."""

    secret = serializers.CharField(help_text="The signing secret (whsec_...): keep it in your system.")
    previous_secret_until = UTCDateTimeField(allow_null=True, help_text="Until then the previous secret signs "
                                                                        "every delivery too (after a rotation).")


class DeliverySerializer(ModelSerializer):
    id = serializers.CharField(source="webhook_id", read_only=True, help_text="The webhook-id header it was sent with.")
    endpoint = serializers.UUIDField(source="endpoint.public_id", read_only=True)
    payload = serializers.JSONField(read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "endpoint", "event_type", "status", "attempts", "response_status", "error", "next_attempt_at",
                  "last_attempt_at", "delivered_at", "created_at", "payload"]
        read_only_fields = fields

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        if instance.status != WebhookDelivery.Status.PENDING:
            data["next_attempt_at"] = None
        return data
