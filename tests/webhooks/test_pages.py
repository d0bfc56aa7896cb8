"""The admin's webhook pages under Settings: register, see the secret and the delivery log, resend; others
are refused (the isolation sweep in tests/issuers covers every id for outsiders and limited tutors)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from issuers.models import AuditEntry
from issuers.scoping import tenant_scope
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import endpoint_secret


@pytest.fixture
def allow_loopback(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True


def test_settings_links_to_webhooks(client, alice, tenant_a):
    client.force_login(alice)
    page = client.get(reverse("issuers:settings", args=[tenant_a.slug])).content.decode()
    assert reverse("webhooks:endpoints", args=[tenant_a.slug]) in page


def test_an_admin_registers_an_endpoint_and_sees_its_secret(client, alice, tenant_a, allow_loopback):
    client.force_login(alice)
    response = client.post(reverse("webhooks:endpoints", args=[tenant_a.slug]), {
        "url": "http://127.0.0.1:9/hook", "description": "MIS", "events": ["award.issued", "award.claimed"]})
    assert response.status_code == 302
    with tenant_scope(tenant_a):
        endpoint = WebhookEndpoint.objects.get()
        secret = endpoint_secret(endpoint)
        assert AuditEntry.objects.filter(action="webhook.create").count() == 1
    assert endpoint.events == ["award.issued", "award.claimed"]
    assert response["Location"] == reverse("webhooks:endpoint", args=[tenant_a.slug, endpoint.public_id])
    page = client.get(response["Location"]).content.decode()
    assert secret in page
    assert "No deliveries yet." in page


def test_an_address_inside_the_network_is_refused_with_a_message(client, alice, tenant_a):
    client.force_login(alice)
    response = client.post(reverse("webhooks:endpoints", args=[tenant_a.slug]), {
        "url": "https://192.168.1.20/hook", "events": ["award.issued"]})
    assert response.status_code == 200
    assert "private or reserved address; deliveries are not sent there" in response.content.decode()
    with tenant_scope(tenant_a):
        assert not WebhookEndpoint.objects.exists()


def test_an_unknown_event_is_a_form_error_not_a_500(client, alice, tenant_a, allow_loopback):
    client.force_login(alice)
    response = client.post(reverse("webhooks:endpoints", args=[tenant_a.slug]), {
        "url": "http://127.0.0.1:9/hook", "events": ["award.eaten"]})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize("who", ["bob", "viewer"])
def test_staff_who_are_not_admins_find_no_such_page(client, request, tenant_a, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("webhooks:endpoints", args=[tenant_a.slug])).status_code == 404


def test_the_delivery_log_offers_resend_and_resending_queues_it_again(client, alice, tenant_a, allow_loopback,
                                                                       django_capture_on_commit_callbacks):
    from webhooks.services import endpoint_create

    with tenant_scope(tenant_a):
        endpoint, _ = endpoint_create(tenant=tenant_a, url="http://127.0.0.1:9/hook", events=["award.issued"],
                                      actor=alice)
        delivery = WebhookDelivery.objects.create(tenant=tenant_a, endpoint=endpoint, event_type="award.issued",
                                                  event_key="award.issued:x", payload={"type": "award.issued"},
                                                  status="failed", attempts=10, response_status=503,
                                                  error="The endpoint answered 503. Gave up after 10 tries.")
    client.force_login(alice)
    page = client.get(reverse("webhooks:endpoint", args=[tenant_a.slug, endpoint.public_id])).content.decode()
    assert "HTTP 503" in page
    assert "Gave up after 10 tries." in page
    assert reverse("webhooks:delivery_resend", args=[tenant_a.slug, delivery.id]) in page
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(reverse("webhooks:delivery_resend", args=[tenant_a.slug, delivery.id]))
    assert response.status_code == 302
    assert len(queued) == 1  # the send, once the resend commits
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
