"""The webhooks API (scoped to the key's college, in the OpenAPI schema): register an endpoint and read its
secret, change it, rotate the secret, read the delivery log, resend, delete; clear refusals, never a 500;
a retried POST with its Idempotency-Key registers once, and no secret is kept with the key."""

from __future__ import annotations

import pytest

from issuers.scoping import tenant_scope
from tests.support import issue_one
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_mis_registers_an_endpoint_and_its_secret_verifies_the_deliveries(
        api_a, tenant_a, badge_a, receiver, eager):
    response = api_a.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["award.issued"],
                                                 "description": "Student records"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert "secret" not in body
    assert (body["url"], body["events"], body["enabled"]) == (receiver.url, ["award.issued"], True)
    secret = api_a.get(f"/api/v1/webhooks/{body['id']}/secret/").json()
    assert secret["secret"].startswith("whsec_")
    assert secret["previous_secret_until"] is None
    receiver.secret = secret["secret"]
    with tenant_scope(tenant_a):
        award = issue_one(badge_class=badge_a, recipient_identity="ann@example.org", notify=False)
    (got,) = receiver.of_type("award.issued")
    assert got["data"]["award"]["id"] == str(award.public_id)

    log = api_a.get(f"/api/v1/webhooks/{body['id']}/deliveries/").json()
    assert log["count"] == 1
    (delivery,) = log["results"]
    assert (delivery["status"], delivery["response_status"]) == ("delivered", 204)
    assert delivery["id"] == receiver.verified()[0].webhook_id
    assert "secret" not in api_a.get(f"/api/v1/webhooks/{body['id']}/").json()

    resent = api_a.post(f"/api/v1/webhooks/deliveries/{delivery['id']}/resend/", {})
    assert resent.status_code == 202, resent.content
    assert receiver.ids() == {delivery["id"]: 2}


def test_rotating_the_secret_makes_a_new_one_with_the_old_one_overlapping(api_a, receiver):
    created = api_a.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["award.revoked"]}).json()
    old = api_a.get(f"/api/v1/webhooks/{created['id']}/secret/").json()["secret"]
    rotated = api_a.post(f"/api/v1/webhooks/{created['id']}/rotate-secret/", {})
    assert rotated.status_code == 200
    assert rotated.json()["previous_secret_until"].endswith("Z")
    now = api_a.get(f"/api/v1/webhooks/{created['id']}/secret/").json()
    assert now["secret"] not in {old, None}
    assert now["previous_secret_until"] == rotated.json()["previous_secret_until"]


def test_a_retried_registration_registers_once_and_keeps_no_secret_with_its_key(api_a, tenant_a, receiver):
    from issuers.models import IdempotencyKey

    headers = {"Idempotency-Key": "mis-endpoint-1"}
    body = {"url": receiver.url, "events": ["award.issued"]}
    first = api_a.post("/api/v1/webhooks/", body, headers=headers)
    again = api_a.post("/api/v1/webhooks/", body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    with tenant_scope(tenant_a):
        assert WebhookEndpoint.objects.count() == 1
        secret = api_a.get(f"/api/v1/webhooks/{first.json()['id']}/secret/").json()["secret"]
        stored = list(IdempotencyKey.objects.values_list("response_body", flat=True))
    assert stored
    assert all(secret.encode() not in bytes(b or b"") for b in stored)


def test_patch_and_delete(api_a, tenant_a, receiver):
    created = api_a.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["award.revoked"]}).json()
    changed = api_a.patch(f"/api/v1/webhooks/{created['id']}/", {"events": ["award.claimed", "award.expired"]})
    assert changed.status_code == 200
    assert changed.json()["events"] == ["award.claimed", "award.expired"]
    assert api_a.raw("delete", f"/api/v1/webhooks/{created['id']}/", b"", "application/json").status_code == 204
    with tenant_scope(tenant_a):
        assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"url": "https://10.0.0.5/hook", "events": ["award.issued"]}, "url", "deliveries are not sent there"),
    ({"url": "ftp://example.org/hook", "events": ["award.issued"]}, "url", "https://"),
    ({"url": "http://[::1/hook", "events": ["award.issued"]}, "url", "not a URL"),
    ({"url": "https://93.184.215.14/hook", "events": ["award.eaten"]}, "events", "not a valid choice"),
    ({"url": "https://93.184.215.14/hook", "events": []}, "events", "empty"),
])
def test_a_bad_endpoint_is_refused_with_what_to_fix(api_a, settings, body, field, message):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    response = api_a.post("/api/v1/webhooks/", body)
    assert response.status_code == 400, response.content
    assert message in str(response.json()), response.json()


def test_another_colleges_key_finds_no_such_endpoint(api_a, api_b, receiver):
    created = api_a.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["award.issued"]}).json()
    assert api_b.get("/api/v1/webhooks/").json()["count"] == 0
    for path in (f"/api/v1/webhooks/{created['id']}/", f"/api/v1/webhooks/{created['id']}/deliveries/"):
        response = api_b.get(path)
        assert response.status_code == 404
        assert "in your college" in response.json()["detail"]


def test_the_schema_documents_the_webhook_endpoints(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    paths = schema["paths"]
    assert {"/api/v1/webhooks/", "/api/v1/webhooks/{public_id}/", "/api/v1/webhooks/{public_id}/rotate-secret/",
            "/api/v1/webhooks/{public_id}/secret/",
            "/api/v1/webhooks/{public_id}/deliveries/",
            "/api/v1/webhooks/deliveries/{delivery_id}/resend/"} <= set(paths)
    answer = paths["/api/v1/webhooks/{public_id}/secret/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert "secret" in schema["components"]["schemas"][answer["schema"]["$ref"].rsplit("/", 1)[1]]["properties"]
