"""One tenant context (scope, time zone, actor), entered the same way by the staff pages, the API,
TenantTask and the commands; a task runs with the context of the request that queued it; one actor
label for the audit log, the bulk job and the API."""

from __future__ import annotations

import pytest
from celery import shared_task
from django.utils import timezone

from assertions.models import Assertion
from issuers.context import Actor, current_actor, current_context, tenant_context
from issuers.models import AuditEntry
from issuers.scoping import current_tenant_id, tenant_scope
from issuers.services import api_key_create, audit_record
from issuers.tasks import ACTOR_KWARG, TenantTask
from tests.support import eager_tasks

SEEN: list[dict] = []


@shared_task(base=TenantTask, bind=True, name="tests.issuers.context_probe")
def context_probe(self, *, tenant_id: int) -> None:
    context = current_context()
    SEEN.append({"tenant": current_tenant_id(), "zone": timezone.get_current_timezone_name(),
                 "label": context.actor.label if context else None, "actor": current_actor()})


@pytest.fixture(autouse=True)
def _clear():
    SEEN.clear()


@pytest.fixture
def key(tenant_a, alice):
    with tenant_scope(tenant_a):
        return api_key_create(tenant=tenant_a, name="MIS", actor=alice)[0]


def test_the_context_sets_scope_zone_and_actor_together_and_undoes_them(tenant_a, alice):
    tenant_a.timezone = "America/New_York"
    assert timezone.get_current_timezone_name() == "UTC"
    with tenant_context(tenant_a, alice) as context:
        assert current_tenant_id() == tenant_a.pk
        assert timezone.get_current_timezone_name() == "America/New_York"
        assert current_actor() == Actor(user=alice)
        assert context.tenant == tenant_a
    assert current_context() is None
    assert current_tenant_id() is None
    assert timezone.get_current_timezone_name() == "UTC"


def test_a_task_runs_with_the_context_of_the_request_that_queued_it(tenant_a, alice):
    tenant_a.timezone = "Asia/Tokyo"
    tenant_a.save(update_fields=["timezone"])
    with eager_tasks(), tenant_context(tenant_a, alice):
        context_probe.delay(tenant_id=tenant_a.pk)
    with eager_tasks():
        context_probe.delay(tenant_id=tenant_a.pk)  # queued outside any context: the system
    assert SEEN == [
        {"tenant": tenant_a.pk, "zone": "Asia/Tokyo", "label": alice.email, "actor": Actor(user=alice)},
        {"tenant": tenant_a.pk, "zone": "Asia/Tokyo", "label": "system", "actor": Actor()},
    ]


def test_the_actor_travels_in_the_message_as_ids(tenant_a, key):
    with tenant_context(tenant_a, key):
        context_probe.apply(kwargs={"tenant_id": tenant_a.pk})  # as a retry, or an eager queue, runs it
    assert SEEN[0]["label"] == f"API key {key.prefix}"
    assert Actor(api_key=key).as_message() == {"api_key": key.pk}
    with tenant_scope(tenant_a):
        assert Actor.from_message({"api_key": key.pk}) == Actor(api_key=key)
    assert Actor.from_message({"system": "pipeline sweep"}).label == "pipeline sweep"
    with tenant_context(tenant_a, key):  # a message that names its actor keeps it
        context_probe.apply(kwargs={"tenant_id": tenant_a.pk, ACTOR_KWARG: {"system": "pipeline sweep"}})
    assert SEEN[1]["label"] == "pipeline sweep"


def test_an_api_request_reads_a_date_time_without_offset_on_the_colleges_clock(client, tenant_a, issuer_a, alice):
    from badges.services import badge_class_create
    from tests.support import png_bytes

    tenant_a.timezone = "Europe/Paris"
    tenant_a.save(update_fields=["timezone"])
    with tenant_scope(tenant_a):
        secret = api_key_create(tenant=tenant_a, name="LMS")[1]
        badge = badge_class_create(issuer=issuer_a, name="Paris", description="d", image=png_bytes(),
                                   criteria_narrative="c", actor=alice)
    response = client.post(f"/api/v1/badgeclasses/{badge.public_id}/assertions/",
                           {"recipient_email": "l@example.org", "issued_on": "2026-07-01T09:00:00", "notify": False},
                           content_type="application/json", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 201, response.content
    with tenant_scope(tenant_a):
        award = Assertion.objects.get(badge_class=badge)
    assert award.issued_on.isoformat() == "2026-07-01T07:00:00+00:00"  # 09:00 in Paris in summer


def test_one_label_for_each_kind_of_actor(tenant_a, alice, key):
    assert Actor(user=alice).label == alice.email
    assert Actor(api_key=key).label == f"API key {key.prefix}"
    assert Actor(system="pathway Hospitality Ready").label == "pathway Hospitality Ready"
    assert Actor().label == "system"
    assert Actor.of(alice) == Actor(user=alice)
    assert Actor.of(key) == Actor(api_key=key)
    assert Actor.of(None) == Actor()
    with tenant_scope(tenant_a):
        for actor in (alice, key, Actor(system="sweep")):
            audit_record(tenant=tenant_a, action="test.label", actor=actor)
        labels = list(AuditEntry.objects.filter(action="test.label").order_by("id").values_list("actor_label",
                                                                                               flat=True))
    assert labels == [alice.email, f"API key {key.prefix}", "sweep"]
