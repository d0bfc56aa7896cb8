"""The REST API, mounted at /api/v1/. Every endpoint is wrapped in ``api_guard`` (idempotency keys,
the body-size cap) here, in one place, so a new endpoint cannot forget it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpResponse
from django.urls import URLPattern, path, re_path

from assertions import api as assertions_api
from badgeplatform.api import DocsView, SchemaView, api_guard, not_found
from badges import api as badges_api
from issuers import api as issuers_api
from webhooks import api as webhooks_api

app_name = "api"


def endpoint(route: str, view: Callable[..., HttpResponse], name: str) -> URLPattern:
    return path(route, api_guard(view), name=name)


urlpatterns = [
    endpoint("issuers/", issuers_api.IssuerList.as_view(), name="issuers"),
    endpoint("issuers/<uuid:public_id>/", issuers_api.IssuerDetail.as_view(), name="issuer"),
    endpoint("badgeclasses/", badges_api.BadgeClassList.as_view(), name="badgeclasses"),
    endpoint("badgeclasses/<uuid:public_id>/", badges_api.BadgeClassDetail.as_view(), name="badgeclass"),
    endpoint("badgeclasses/<uuid:public_id>/assertions/", assertions_api.BadgeClassAssertions.as_view(),
             name="badgeclass_assertions"),
    endpoint("badgeclasses/<uuid:public_id>/assertions/bulk/", assertions_api.BadgeClassBulk.as_view(),
             name="badgeclass_bulk"),
    endpoint("jobs/<uuid:public_id>/", assertions_api.JobDetail.as_view(), name="job"),
    endpoint("assertions/", assertions_api.AssertionList.as_view(), name="assertions"),
    endpoint("assertions/<uuid:public_id>/", assertions_api.AssertionDetail.as_view(), name="assertion"),
    endpoint("assertions/<uuid:public_id>/revoke/", assertions_api.AssertionRevoke.as_view(),
             name="assertion_revoke"),
    endpoint("webhooks/", webhooks_api.EndpointList.as_view(), name="webhooks"),
    endpoint("webhooks/<uuid:public_id>/", webhooks_api.EndpointDetail.as_view(), name="webhook"),
    endpoint("webhooks/<uuid:public_id>/secret/", webhooks_api.EndpointSecret.as_view(), name="webhook_secret"),
    endpoint("webhooks/<uuid:public_id>/rotate-secret/", webhooks_api.EndpointRotateSecret.as_view(),
             name="webhook_rotate_secret"),
    endpoint("webhooks/<uuid:public_id>/deliveries/", webhooks_api.EndpointDeliveries.as_view(),
             name="webhook_deliveries"),
    endpoint("webhooks/deliveries/<str:delivery_id>/resend/", webhooks_api.DeliveryResend.as_view(),
             name="webhook_delivery_resend"),
    endpoint("schema/", SchemaView.as_view(), name="schema"),
    endpoint("docs/", DocsView.as_view(), name="docs"),
    # Last: anything else under /api/v1/ (an unknown path, an id that is not a UUID) gets a JSON 404.
    re_path(r"^.*$", not_found, name="not_found"),
]
