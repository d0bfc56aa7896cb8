"""The API key check is remembered by the web process (issuers.keycache) and forgotten by every process
as soon as a key, or the college it names, changes. Two processes: tests/badgeplatform/test_two_web_processes.py."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from issuers import keycache
from issuers.models import Tenant
from issuers.scoping import tenant_scope
from issuers.selectors import api_key_authenticate
from issuers.services import api_key_create, api_key_revoke, tenant_set_limits, tenant_set_status, tenant_update
from tests.support.api import Api


@pytest.fixture
def secret(tenant_a, alice) -> str:
    with tenant_scope(tenant_a):
        return api_key_create(tenant=tenant_a, name="MIS", actor=alice)[1]


def _key_reads(api: Api, path: str = "/api/v1/tenant/") -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        status = api.get(path).status_code
    return status, sum('FROM "issuers_apikey"' in q["sql"] for q in queries.captured_queries)


def test_a_key_is_read_from_the_database_once_while_nothing_changes(client, secret):
    api = Api(client, secret)
    assert _key_reads(api) == (200, 1)
    assert _key_reads(api) == (200, 0)
    assert _key_reads(api) == (200, 0)


def test_a_revoked_key_is_refused_on_the_next_request(client, secret, tenant_a, alice):
    api = Api(client, secret)
    assert _key_reads(api) == (200, 1)
    with tenant_scope(tenant_a):
        api_key_revoke(key=tenant_a.api_keys.get(), actor=alice)
    assert api.get("/api/v1/tenant/").status_code == 401


def test_a_suspended_colleges_writes_are_refused_on_the_next_request(client, secret, tenant_a, badge_a, alice):
    api = Api(client, secret)
    url = f"/api/v1/badgeclasses/{badge_a.public_id}/assertions/"
    assert api.post(url, {"recipient_email": "first@example.org"}).status_code == 201
    tenant_set_status(tenant=Tenant.objects.get(pk=tenant_a.pk), status=Tenant.Status.SUSPENDED, actor=alice)
    answer = api.post(url, {"recipient_email": "second@example.org"})
    assert answer.status_code == 403
    assert "suspended" in answer.json()["detail"]
    tenant_set_status(tenant=Tenant.objects.get(pk=tenant_a.pk), status=Tenant.Status.ACTIVE, actor=alice)
    assert api.post(url, {"recipient_email": "second@example.org"}).status_code == 201


def test_a_lowered_plan_limit_applies_to_the_next_award(client, secret, tenant_a, badge_a, alice):
    api = Api(client, secret)
    url = f"/api/v1/badgeclasses/{badge_a.public_id}/assertions/"
    assert api.post(url, {"recipient_email": "first@example.org"}).status_code == 201
    tenant_set_limits(tenant=Tenant.objects.get(pk=tenant_a.pk), badges_per_month=1, learners_per_year=None,
                      actor=alice)
    answer = api.post(url, {"recipient_email": "second@example.org"})
    assert answer.status_code == 403
    assert "limit of 1 badge a month" in answer.json()["detail"]


def test_a_changed_setting_of_the_college_is_used_on_the_next_request(client, secret, tenant_a, alice):
    api = Api(client, secret)
    assert api.get("/api/v1/tenant/").json()["name"] == "College A"
    with tenant_scope(tenant_a):
        tenant_update(tenant=Tenant.objects.get(pk=tenant_a.pk), changes={"name": "College A (renamed)"}, actor=alice)
    assert api.get("/api/v1/tenant/").json()["name"] == "College A (renamed)"


def test_a_change_written_around_the_services_shows_once_the_hold_is_over(client, secret, tenant_a, monkeypatch):
    api = Api(client, secret)
    assert api.get("/api/v1/tenant/").json()["name"] == "College A"
    Tenant.objects.filter(pk=tenant_a.pk).update(name="Renamed in a shell")
    assert api.get("/api/v1/tenant/").json()["name"] == "College A"  # remembered, within HOLD_SECONDS
    monkeypatch.setattr(keycache, "HOLD_SECONDS", 0.0)
    assert api.get("/api/v1/tenant/").json()["name"] == "Renamed in a shell"


def test_a_key_read_before_a_change_is_not_remembered_past_it(secret, tenant_a, alice):
    """The generation is taken before the read: a change between the two starts another, so what was read
    then is never used."""
    before = keycache.generation()
    key = api_key_authenticate(secret)
    assert key is not None
    keycache.api_keys_changed()
    keycache.remember(key.key_hash, key, before)
    assert keycache.remembered(key.key_hash, keycache.generation()) is None


def test_a_request_cannot_change_what_the_next_one_is_given(secret):
    first = api_key_authenticate(secret)
    assert first is not None
    first.tenant.name = "changed in a request"
    first.name = "changed too"
    second = api_key_authenticate(secret)
    assert second is not None
    assert second is not first
    assert (second.tenant.name, second.name) == ("College A", "MIS")


def test_without_the_cache_every_call_reads_the_database(client, secret, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get", down)
    api = Api(client, secret)
    assert _key_reads(api) == (200, 1)
    assert _key_reads(api) == (200, 1)


@pytest.mark.parametrize("how", ["delete", "delete_selected"])
def test_a_key_deleted_in_the_django_admin_is_refused_on_the_next_request(client, secret, tenant_a, platform_admin,
                                                                          how):
    from django.test import Client
    from django.urls import reverse

    api = Api(client, secret)
    assert _key_reads(api) == (200, 1)
    with tenant_scope(tenant_a):
        key = tenant_a.api_keys.get()
    staff = Client()
    staff.force_login(platform_admin)
    if how == "delete":
        answer = staff.post(reverse("admin:issuers_apikey_delete", args=[key.pk]), {"post": "yes"})
    else:
        answer = staff.post(reverse("admin:issuers_apikey_changelist"),
                            {"action": "delete_selected", "_selected_action": [key.pk], "post": "yes"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert api.get("/api/v1/tenant/").status_code == 401
