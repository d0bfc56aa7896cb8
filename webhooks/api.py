"""API endpoints for webhooks: register, read, change and delete endpoints, rotate a secret, read the
delivery log and resend a delivery. Every write goes through ``webhooks.services``."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from issuers.api import Pagination, api_actor, object_or_404
from issuers.http import ApiRequest
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.serializers import DeliverySerializer, EndpointSerializer, SecretSerializer

_LISTING = "GET /api/v1/webhooks/"


def endpoint_or_404(public_id: Any) -> WebhookEndpoint:
    return object_or_404(WebhookEndpoint.objects.all(), public_id, "webhook endpoint", _LISTING)


class EndpointList(generics.ListCreateAPIView):
    """Your college's webhook endpoints; POST registers one (its signing secret: GET .../<id>/secret/)."""

    serializer_class = EndpointSerializer
    pagination_class = Pagination

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        return WebhookEndpoint.objects.order_by("created_at", "id")

    @extend_schema(request=EndpointSerializer, responses={201: EndpointSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = EndpointSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        endpoint, _ = services.endpoint_create(
            tenant=cast(ApiRequest, request).tenant, url=data["url"], events=data["events"],
            description=data.get("description", ""), **api_actor(request))
        response = Response(EndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED)
        response["Location"] = f"/api/v1/webhooks/{endpoint.public_id}/"
        return response


class EndpointDetail(generics.RetrieveUpdateDestroyAPIView):
    """One endpoint; PATCH changes url, description or events; DELETE removes it and its delivery log."""

    serializer_class = EndpointSerializer
    http_method_names = ["get", "patch", "delete", "options"]

    def get_object(self) -> WebhookEndpoint:
        return endpoint_or_404(self.kwargs["public_id"])

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        endpoint = self.get_object()
        serializer = self.get_serializer(endpoint, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        endpoint = services.endpoint_update(endpoint=endpoint, url=data.get("url"), events=data.get("events"),
                                            description=data.get("description"), **api_actor(request))
        return Response(self.get_serializer(endpoint).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.endpoint_delete(endpoint=self.get_object(), **api_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointSecret(APIView):
    """The endpoint's signing secret, to check deliveries with (Standard Webhooks)."""

    http_method_names = ["get", "options"]

    @extend_schema(responses={200: SecretSerializer})
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        endpoint = endpoint_or_404(public_id)
        overlap = len(services.endpoint_secrets(endpoint)) > 1
        return Response(SecretSerializer({"secret": services.endpoint_secret(endpoint),
                                          "previous_secret_until": endpoint.previous_secret_until if overlap
                                          else None}).data)


class EndpointRotateSecret(APIView):
    """A new signing secret (read it with GET .../secret/); the previous one keeps signing beside it for
    ``WEBHOOK_SECRET_OVERLAP_HOURS``."""

    http_method_names = ["post", "options"]

    @extend_schema(request=None, responses={200: EndpointSerializer})
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        endpoint = endpoint_or_404(public_id)
        services.endpoint_rotate_secret(endpoint=endpoint, **api_actor(request))
        return Response(EndpointSerializer(endpoint).data)


class EndpointDeliveries(generics.ListAPIView):
    """The endpoint's delivery log, newest first; ``?status=pending|sending|delivered|failed``."""

    serializer_class = DeliverySerializer
    pagination_class = Pagination

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=WebhookDelivery.Status.values)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        endpoint = endpoint_or_404(self.kwargs["public_id"])
        rows = WebhookDelivery.objects.filter(endpoint=endpoint).select_related("endpoint")
        wanted = self.request.query_params.get("status", "")
        if wanted:
            if wanted not in WebhookDelivery.Status.values:
                raise NotFound(f"No such status {wanted!r}: use one of {', '.join(WebhookDelivery.Status.values)}.")
            rows = rows.filter(status=wanted)
        return rows.order_by("-created_at", "-id")


class DeliveryResend(APIView):
    """Send a delivery again now (same ``webhook-id`` and body), with a fresh set of tries."""

    http_method_names = ["post", "options"]

    @extend_schema(request=None, responses={202: DeliverySerializer})
    def post(self, request: Request, delivery_id: str) -> Response:
        delivery = _delivery_or_404(delivery_id)
        delivery = services.delivery_resend(delivery=delivery, **api_actor(request))
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


def _delivery_or_404(delivery_id: str) -> WebhookDelivery:
    try:
        pk = uuid.UUID(hex=delivery_id.removeprefix("msg_"))
    except ValueError:
        pk = None
    found = WebhookDelivery.objects.select_related("endpoint").filter(pk=pk).first() if pk else None
    if found is None:
        raise NotFound(f"No webhook delivery {delivery_id} in your college. "
                       "GET /api/v1/webhooks/<id>/deliveries/ lists them.")
    return found
