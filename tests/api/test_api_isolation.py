"""The isolation sweep of the REST API: every /api/ URL that takes an object id, tried with the
owner's key, another college's key, a revoked key and no key. A new API URL with an id fails
``test_every_api_object_url_is_covered`` until it is given an object here.

(tests/issuers/test_isolation.py sweeps the staff pages and hands the ``api/`` prefix to this file.)"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from assertions.bulk import bulk_job_create, bulk_preview, rows_from_lines
from assertions.documents import public_url
from assertions.models import Assertion
from issuers.models import Tenant
from issuers.scoping import tenant_scope
from issuers.services import api_key_create, api_key_revoke, tenant_set_status
from tests.support import issue_one, url_routes


def api_object_routes() -> dict[str, str]:
    """URL name → route, for every API pattern that takes an id."""
    found = {}
    for route, pattern in url_routes():
        if route.startswith("api/") and re.findall(r"<(?:\w+:)?(\w+)>", route):
            found[f"api:{pattern.name}"] = route
    return found


# What the owner may do with each URL, and what success looks like.
METHODS = {
    "api:issuer": ("get", 200), "api:badgeclass": ("get", 200), "api:job": ("get", 200),
    "api:assertion": ("get", 200), "api:badgeclass_assertions": ("post", 201), "api:badgeclass_bulk": ("post", 202),
    "api:assertion_revoke": ("post", 200),
    "api:webhook": ("get", 200), "api:webhook_deliveries": ("get", 200), "api:webhook_rotate_secret": ("post", 200),
    "api:webhook_delivery_resend": ("post", 202), "api:webhook_secret": ("get", 200),
}
PATCHABLE = {"api:issuer", "api:badgeclass", "api:webhook"}
BODIES = {
    "api:badgeclass_assertions": {"recipient_email": "sweep@example.org", "notify": False},
    "api:badgeclass_bulk": {"rows": [{"email": "sweep-bulk@example.org"}], "notify": False},
    "api:assertion_revoke": {"reason": "Sweep"},
}


@pytest.fixture
def objects(tenant_a, badge_a):
    with tenant_scope(tenant_a):
        assertion = issue_one(badge_class=badge_a, recipient_identity="held@example.org", notify=False)
        preview = bulk_preview(badge_class=badge_a, rows=rows_from_lines("one@example.org"))
        job, _ = bulk_job_create(badge_class=badge_a, preview=preview, notify=False, issue_now=False)
        webhook, delivery = _webhook_objects(tenant_a)
    return {
        "api:issuer": badge_a.issuer.public_id, "api:badgeclass": badge_a.public_id,
        "api:badgeclass_assertions": badge_a.public_id, "api:badgeclass_bulk": badge_a.public_id,
        "api:job": job.public_id, "api:assertion": assertion.public_id, "api:assertion_revoke": assertion.public_id,
        "api:webhook": webhook.public_id, "api:webhook_deliveries": webhook.public_id,
        "api:webhook_rotate_secret": webhook.public_id, "api:webhook_delivery_resend": delivery.webhook_id,
        "api:webhook_secret": webhook.public_id,
    }


def _webhook_objects(tenant):
    """An endpoint (a public address literal: no DNS) and a delivery that gave up, to resend."""
    from webhooks.models import WebhookDelivery
    from webhooks.services import endpoint_create

    endpoint, _ = endpoint_create(tenant=tenant, url="https://93.184.215.14/hook", events=["award.issued"])
    delivery = WebhookDelivery.objects.create(tenant=tenant, endpoint=endpoint, event_type="award.issued",
                                              event_key="sweep", payload={}, status="failed")
    return endpoint, delivery


def _call(api, name, public_id, method=None):
    url = reverse(name, args=[public_id])
    method = method or METHODS[name][0]
    if method == "get":
        return api.get(url)
    if method == "patch":
        return api.patch(url, {"name": "Changed by the sweep"})
    return api.post(url, BODIES.get(name, {}))


def test_every_api_object_url_is_covered(objects):
    routes = api_object_routes()
    assert routes, "the API URLs were not found"
    missing = sorted(set(routes) - set(objects))
    assert not missing, f"Give the API isolation sweep an object for: {missing}"


@pytest.mark.parametrize("method", ["get", "post", "patch"])
def test_another_colleges_key_gets_404_on_every_api_object_url(api_b, objects, method):
    for name, public_id in objects.items():
        response = _call(api_b, name, public_id, method)
        allowed = METHODS[name][0] == method or (method == "patch" and name in PATCHABLE)
        assert response.status_code == (404 if allowed else 405), (name, method, response.content)
        if allowed:
            assert "in your college" in response.json()["detail"]


def test_no_key_and_a_revoked_key_get_401_on_every_api_object_url(objects, tenant_a, alice):
    with tenant_scope(tenant_a):
        key, secret = api_key_create(tenant=tenant_a, name="old", actor=alice)
        api_key_revoke(key=key, actor=alice)
    from tests.support.api import Api

    for api in (Api(Client(), None), Api(Client(), secret), Api(Client(), "bp_guessed")):
        for name, public_id in objects.items():
            response = _call(api, name, public_id)
            assert response.status_code == 401, (name, response.content)
            assert "API key" in response.json()["detail"]


def test_the_owners_key_reaches_every_api_object_url(api_a, objects):
    for name in sorted(objects, key=lambda n: n == "api:assertion_revoke"):  # revoke last
        response = _call(api_a, name, objects[name])
        assert response.status_code == METHODS[name][1], (name, response.content)


@pytest.mark.parametrize("url", ["/api/v1/issuers/", "/api/v1/badgeclasses/", "/api/v1/assertions/"])
def test_list_endpoints_refuse_a_missing_key(client, url, tenant_a):
    response = client.get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert "Authorization: Bearer" in response.json()["detail"]


def api_url_names() -> dict[str, bool]:
    """Every endpoint of the tenant API (not the schema, docs or catch-all): name → takes an id."""
    found = {}
    for route, pattern in url_routes():
        if route.startswith("api/v1/") and pattern.name not in {"schema", "docs", "not_found", "api_verify"}:
            name = f"api:{pattern.name}" if pattern.full_name.startswith("api:") else pattern.name
            found[name] = bool(re.findall(r"<(?:\w+:)?(\w+)>", route))
    return found


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_suspended_colleges_key_gets_403_on_every_api_write(api_a, objects, tenant_a, method):
    tenant_set_status(tenant=tenant_a, status=Tenant.Status.SUSPENDED)
    names = api_url_names()
    assert set(objects) <= set(names)
    assert "api:assertions" in names
    for name, takes_id in names.items():
        url = reverse(name, args=[objects[name]] if takes_id else [])
        response = api_a.raw(method, url, json.dumps(BODIES.get(name, {"name": "x"})).encode(), "application/json")
        assert response.status_code == 403, (name, method, response.content)
        assert "College A is suspended" in response.json()["detail"]
    with tenant_scope(tenant_a):
        assert not Assertion.objects.filter(revoked=True).exists()
        assert Assertion.objects.count() == 1


def test_a_suspended_college_still_reads_and_its_badges_still_verify(api_a, objects, tenant_a, client):
    tenant_set_status(tenant=tenant_a, status=Tenant.Status.SUSPENDED)
    for name, takes_id in api_url_names().items():
        if METHODS.get(name, ("get",))[0] == "get":
            url = reverse(name, args=[objects[name]] if takes_id else [])
            assert api_a.get(url).status_code == 200, name
    assertion_url = reverse("public:assertion", args=[objects["api:assertion"]])
    assert client.get(assertion_url).status_code == 200
    # The verifier answers POST but changes nothing: open to the suspended college's key too.
    response = api_a.post(reverse("api_verify"), {"url": public_url("assertions", objects["api:assertion"])})
    assert response.status_code == 200, response.content
    assert response.json()["verdict"] == "valid", response.json()["checks"]
