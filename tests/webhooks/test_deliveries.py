"""Deliveries follow the Standard Webhooks specification, checked by its own library in a real receiver;
a receiver that is down gets each event later, exactly once per webhook-id; failures back off and give
up; a rotated secret signs beside the old one for a while; private addresses only when allowed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assertions.models import Assertion
from issuers.scoping import tenant_scope
from tests.support import issue_one
from tests.support.webhooks import Receiver
from webhooks.models import EventType, WebhookAttempt, WebhookDelivery
from webhooks.services import (
    deliveries_send,
    delivery_resend,
    endpoint_create,
    endpoint_rotate_secret,
    retry_delay,
    webhooks_sweep,
)

pytestmark = pytest.mark.django_db(transaction=True)  # commits: deliveries are sent after them


def _deliveries(tenant, **filters) -> list[WebhookDelivery]:
    with tenant_scope(tenant):
        return list(WebhookDelivery.objects.filter(**filters).order_by("created_at"))


def _award(tenant, badge, email="ann@example.org") -> Assertion:
    with tenant_scope(tenant):
        return issue_one(badge_class=badge, recipient_identity=email, recipient_name="Ann Lee", notify=False)


def test_an_award_reaches_the_receiver_signed_as_the_standard_webhooks_library_checks(
        tenant_a, badge_a, endpoint, receiver, eager):
    award = _award(tenant_a, badge_a)

    (got,) = receiver.of_type("award.issued")
    assert receiver.refused() == []
    assert got["data"]["award"]["id"] == str(award.public_id)
    assert got["data"]["award"]["recipient"]["identity"] == "ann@example.org"
    assert got["data"]["award"]["badge_class"]["name"] == "Safe Scaffolding"
    assert got["timestamp"].endswith("Z")
    (delivery,) = _deliveries(tenant_a, event_type=EventType.AWARD_ISSUED)
    (arrived,) = [r for r in receiver.verified() if r.payload["type"] == "award.issued"]
    assert arrived.webhook_id == delivery.webhook_id == f"msg_{delivery.id.hex}"
    assert arrived.headers["webhook-signature"].startswith("v1,")
    assert int(arrived.headers["webhook-timestamp"]) > 0
    assert (delivery.status, delivery.response_status, delivery.attempts) == ("delivered", 204, 1)


def test_a_receiver_checking_with_another_secret_refuses_the_delivery(tenant_a, badge_a, endpoint, receiver, eager):
    receiver.secret = "whsec_" + "A" * 43 + "="
    _award(tenant_a, badge_a)

    assert receiver.verified() == []
    assert len(receiver.refused()) == 1
    (delivery,) = _deliveries(tenant_a)
    assert (delivery.status, delivery.response_status) == ("pending", 401)  # tried again later


def test_a_receiver_that_is_down_gets_each_event_later_exactly_once_per_webhook_id(
        tenant_a, badge_a, endpoint, receiver, eager, settings):
    receiver.stop()  # the MIS is down
    for n in range(3):
        _award(tenant_a, badge_a, email=f"learner{n}@example.org")
    waiting = _deliveries(tenant_a)
    assert [d.status for d in waiting] == ["pending"] * 3
    assert "could not be reached" in waiting[0].error
    assert waiting[0].next_attempt_at > timezone.now()  # backing off

    assert webhooks_sweep()["endpoints"] == 0  # the retry is not due yet
    with tenant_scope(tenant_a):  # time passes: it is
        WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    receiver.start()  # back, on the same address
    assert webhooks_sweep()["endpoints"] == 1
    webhooks_sweep()  # a second sweep, and a second send, find nothing more to do
    with tenant_scope(tenant_a):
        deliveries_send(endpoint=endpoint)

    assert sorted(receiver.ids().values()) == [1, 1, 1]
    assert set(receiver.ids()) == {d.webhook_id for d in waiting}
    assert [d.status for d in _deliveries(tenant_a)] == ["delivered"] * 3


def test_a_failing_endpoint_is_tried_again_with_backoff_then_given_up(
        tenant_a, badge_a, endpoint, receiver, eager, settings):
    receiver.status = 500
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    _award(tenant_a, badge_a)
    (delivery,) = _deliveries(tenant_a)
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, 500)
    assert delivery.error == "The endpoint answered 500."
    assert timedelta(seconds=25) < delivery.next_attempt_at - timezone.now() <= timedelta(seconds=30)

    for _ in range(2):
        with tenant_scope(tenant_a):
            WebhookDelivery.objects.update(next_attempt_at=timezone.now())
            deliveries_send(endpoint=endpoint)
    (delivery,) = _deliveries(tenant_a)
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert delivery.error.endswith("Gave up after 3 tries.")
    with tenant_scope(tenant_a):
        assert list(WebhookAttempt.objects.values_list("response_status", flat=True)) == [500, 500, 500]
    assert len(receiver.verified()) == 3  # each try arrived, signed, with the same id
    assert len(receiver.ids()) == 1


def test_the_backoff_grows_over_hours():
    delays = [retry_delay(n) for n in range(1, 11)]
    assert delays[:6] == [30, 120, 480, 1920, 7680, 30720]
    assert delays[6:] == [12 * 3600] * 4
    assert sum(delays[:9]) > 24 * 3600  # the tries of one delivery span more than a day


def test_resend_sends_the_same_event_again_with_its_webhook_id(tenant_a, badge_a, alice, endpoint, receiver, eager):
    _award(tenant_a, badge_a)
    (delivery,) = _deliveries(tenant_a)
    with tenant_scope(tenant_a):
        delivery_resend(delivery=WebhookDelivery.objects.select_related("endpoint").get(pk=delivery.pk), actor=alice)
    assert receiver.ids() == {delivery.webhook_id: 2}
    (again,) = _deliveries(tenant_a)
    assert (again.status, again.attempts) == ("delivered", 1)


def test_a_rotated_secret_signs_beside_the_old_one_until_the_overlap_ends(
        tenant_a, badge_a, alice, endpoint, receiver, eager):
    old = receiver.secret
    with tenant_scope(tenant_a):
        new = endpoint_rotate_secret(endpoint=endpoint, actor=alice)
    assert new.startswith("whsec_")
    assert new != old
    _award(tenant_a, badge_a, email="one@example.org")  # the receiver still checks with the old secret
    receiver.secret = new
    _award(tenant_a, badge_a, email="two@example.org")
    assert len(receiver.verified()) == 2
    assert receiver.refused() == []

    with tenant_scope(tenant_a):
        endpoint.refresh_from_db()
        endpoint.previous_secret_until = timezone.now() - timedelta(seconds=1)
        endpoint.save(update_fields=["previous_secret_until"])
    receiver.secret = old
    _award(tenant_a, badge_a, email="three@example.org")
    assert len(receiver.refused()) == 1  # the old secret no longer signs


def test_the_secret_is_stored_encrypted(tenant_a, endpoint, receiver):
    with tenant_scope(tenant_a):
        endpoint.refresh_from_db()
    assert receiver.secret.encode() not in bytes(endpoint.secret_encrypted)
    assert receiver.secret.removeprefix("whsec_").encode() not in bytes(endpoint.secret_encrypted)


def test_private_and_loopback_addresses_are_refused_unless_a_setting_allows_them(
        tenant_a, badge_a, alice, endpoint, receiver, eager, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with tenant_scope(tenant_a):
        with pytest.raises(ValidationError, match="https"):
            endpoint_create(tenant=tenant_a, url=receiver.url, events=["award.issued"], actor=alice)
        for url in ("https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://169.254.169.254/latest"):
            with pytest.raises(ValidationError, match="deliveries are not sent there"):
                endpoint_create(tenant=tenant_a, url=url, events=["award.issued"], actor=alice)
    _award(tenant_a, badge_a)  # the endpoint registered while allowed: its delivery is refused now
    assert receiver.received == []
    (delivery,) = _deliveries(tenant_a)
    assert "loopback address; deliveries are not sent there" in delivery.error


def test_another_college_never_hears_of_this_colleges_events(
        tenant_a, tenant_b, badge_a, charlie, endpoint, receiver, eager):
    other = Receiver().start()
    try:
        with tenant_scope(tenant_b):
            _, other.secret = endpoint_create(tenant=tenant_b, url=other.url, events=EventType.values, actor=charlie)
        _award(tenant_a, badge_a)
        assert len(receiver.verified()) == 1
        assert other.received == []
    finally:
        other.stop()


def test_an_endpoint_hears_only_of_the_events_it_chose(tenant_a, badge_a, alice, receiver, eager):
    with tenant_scope(tenant_a):
        _, receiver.secret = endpoint_create(tenant=tenant_a, url=receiver.url, events=["award.revoked"], actor=alice)
    award = _award(tenant_a, badge_a)
    assert receiver.received == []
    from assertions.services import assertion_revoke

    with tenant_scope(tenant_a):
        assertion_revoke(assertion=award, reason="Issued in error", actor=alice)
    (got,) = receiver.of_type("award.revoked")
    assert got["data"]["award"]["revoked"] is True
    assert got["data"]["award"]["revocation_reason"] == "Issued in error"


def test_rotating_the_encryption_key_re_encrypts_both_secrets_of_an_endpoint(tenant_a, alice, endpoint, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from webhooks.services import endpoint_secrets

    with tenant_scope(tenant_a):
        endpoint_rotate_secret(endpoint=endpoint, actor=alice)
        endpoint.refresh_from_db()
        before = endpoint_secrets(endpoint)
    assert len(before) == 2
    settings.KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.KEY_ENCRYPTION_KEYS]
    call_command("rotate_encryption_key", stdout=None)
    settings.KEY_ENCRYPTION_KEYS = settings.KEY_ENCRYPTION_KEYS[:1]  # the old key is gone
    with tenant_scope(tenant_a):
        endpoint.refresh_from_db()
        assert endpoint_secrets(endpoint) == before


def test_a_claim_takes_the_oldest_due_rows_at_most_a_chunk_once_in_one_statement(
        tenant_a, endpoint, django_assert_num_queries):
    # transaction=True (the module's mark): the claim is its own statement, as in the worker
    from webhooks.services import CLAIM_CHUNK, _claim, events_record

    with tenant_scope(tenant_a):
        events_record(tenant_id=tenant_a.pk, event_type=EventType.AWARD_ISSUED,
                      items=[(f"award-{n:03}", {"n": n}) for n in range(CLAIM_CHUNK + 5)])
        later = WebhookDelivery.objects.filter(event_key="award.issued:award-000")
        later.update(next_attempt_at=timezone.now() + timedelta(hours=1))  # a retry not yet due

        with django_assert_num_queries(1):
            claim, first = _claim(endpoint)
        assert len(first) == CLAIM_CHUNK
        assert [(d.created_at, d.id) for d in first] == sorted((d.created_at, d.id) for d in first)  # oldest first
        assert {d.status for d in first} == {"sending"}
        assert {d.claim for d in first} == {claim}
        assert WebhookDelivery.objects.filter(claim=claim, status="sending").count() == CLAIM_CHUNK

        _, second = _claim(endpoint)  # what is left and due; nothing claimed twice
        assert len(second) == 4
        due = {d.payload["data"]["n"] for d in first} | {d.payload["data"]["n"] for d in second}
        assert due == set(range(1, CLAIM_CHUNK + 5))
        assert _claim(endpoint)[1] == []
