"""Reads of the webhooks layer, in the request's tenant scope."""

from __future__ import annotations

from django.db.models import QuerySet

from issuers.models import Membership, Role
from webhooks.models import WebhookDelivery, WebhookEndpoint


def endpoints_of(membership: Membership) -> QuerySet[WebhookEndpoint]:
    """The college's endpoints, for its admins only (everyone else: none, so any id is a 404)."""
    if membership.role != Role.ADMIN:
        return WebhookEndpoint.objects.none()
    return WebhookEndpoint.objects.filter(tenant=membership.tenant)


def deliveries_of(membership: Membership) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(endpoint__in=endpoints_of(membership)).select_related("endpoint")


def delivery_log(endpoint: WebhookEndpoint, *, status: str = "", limit: int = 100) -> list[WebhookDelivery]:
    rows = WebhookDelivery.objects.filter(endpoint=endpoint)
    if status in WebhookDelivery.Status.values:
        rows = rows.filter(status=status)
    return list(rows.order_by("-created_at", "-id")[:limit])
