"""Management commands, env-driven settings that refuse unsafe values, and tenant rules."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.urls import reverse

from badgeplatform.env import env_bool, env_origin
from issuers.keys import decrypt_private_key
from issuers.models import ApiKey, Membership, SigningKey, Tenant
from issuers.scoping import tenant_scope
from issuers.selectors import api_key_authenticate

ROOT = Path(__file__).resolve().parents[2]


def test_createtenant_is_idempotent(db, alice):
    out = StringIO()
    call_command("createtenant", "riverside", "--name", "Riverside", "--admin-email", alice.email, stdout=out)
    call_command("createtenant", "riverside", "--name", "Riverside", "--admin-email", alice.email, stdout=out)
    assert Tenant.objects.filter(slug="riverside").count() == 1
    tenant = Tenant.objects.get(slug="riverside")
    with tenant_scope(tenant):
        assert Membership.objects.get(user=alice).role == "admin"
    assert "already exists" in out.getvalue()


def test_createtenant_invites_an_unknown_admin(db, mailoutbox, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    out = StringIO()
    call_command("createtenant", "newcollege", "--name", "New College", "--admin-email", "head@new.example", stdout=out)
    assert "/invitations/" in out.getvalue()


def test_createapikey_prints_a_working_key_last(db, tenant_a):
    out = StringIO()
    call_command("createapikey", tenant_a.slug, "--name", "MIS", stdout=out)
    secret = out.getvalue().strip().splitlines()[-1]
    key = api_key_authenticate(secret)
    assert key is not None
    assert key.tenant == tenant_a
    with tenant_scope(tenant_a):
        stored = ApiKey.objects.get()
    assert secret not in (stored.key_hash, stored.prefix)


def test_signing_keys_are_encrypted_at_rest_and_rotate(issuer_a, tenant_a, client, alice):
    with tenant_scope(tenant_a):
        key = SigningKey.objects.get()
        assert b"PRIVATE KEY" not in bytes(key.private_key_encrypted)
        assert decrypt_private_key(key.private_key_encrypted).key_size >= 2048
    client.force_login(alice)
    client.post(reverse("issuers:issuer_rotate_key", args=[tenant_a.slug, issuer_a.public_id]))
    with tenant_scope(tenant_a):
        keys = list(SigningKey.objects.all())
    assert len(keys) == 2
    assert sum(k.retired_at is None for k in keys) == 1


def test_suspended_tenant_cannot_issue(tenant_a):
    from django.core.exceptions import PermissionDenied

    from issuers.services import tenant_require_active, tenant_set_status

    tenant_set_status(tenant=tenant_a, status=Tenant.Status.SUSPENDED)
    with pytest.raises(PermissionDenied, match="suspended"):
        tenant_require_active(tenant_a)


def test_tenant_requiring_mfa_sends_staff_to_set_it_up(client, alice, tenant_a):
    tenant_a.require_mfa = True
    tenant_a.save()
    client.force_login(alice)
    response = client.get(reverse("issuers:dashboard", args=[tenant_a.slug]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_index"))


def test_dates_show_in_the_tenant_time_zone(client, alice, tenant_a):
    tenant_a.timezone = "Pacific/Auckland"
    tenant_a.save()
    client.force_login(alice)
    page = client.get(reverse("issuers:audit", args=[tenant_a.slug]))
    assert b"Pacific/Auckland" in page.content


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "false"}, "SECRET_KEY"),
        ({"DEBUG": "maybe"}, "boolean"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"PUBLIC_BASE_URL": "badges.example.org"}, "PUBLIC_BASE_URL"),
        ({"DEBUG": "false", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "a.example"}, "KEY_ENCRYPTION_KEYS"),
    ],
)
def test_unsafe_settings_fail_loudly_at_start_up(env, message):
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_the_cache_can_have_a_redis_server_of_its_own():
    """A cache may be evicted or flushed; the broker's queued work must not be: production keeps them apart."""
    probe = "from django.conf import settings as s; print(s.CACHES['default']['LOCATION'], s.CELERY_BROKER_URL)"
    env = {**os.environ, "REDIS_URL": "redis://broker.internal:6379/0", "REDIS_CACHE_URL": "redis://cache.internal:6379/0",
           "DJANGO_SETTINGS_MODULE": "badgeplatform.settings"}
    result = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {probe}"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.split() == ["redis://cache.internal:6379/0", "redis://broker.internal:6379/0"]
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "REDIS_URL: redis://redis:6379/0" in compose
    assert "REDIS_CACHE_URL: redis://cache:6379/0" in compose


def test_env_helpers(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert env_bool("X_FLAG") is True
    monkeypatch.setenv("X_ORIGIN", "https://b.example/path")
    with pytest.raises(ImproperlyConfigured):
        env_origin("X_ORIGIN", "http://127.0.0.1:8000")


def test_an_api_key_records_its_last_use_to_the_minute_without_a_write_per_request(db, tenant_a, monkeypatch,
                                                                                  django_assert_num_queries):
    from datetime import timedelta

    from django.utils import timezone

    from issuers.services import api_key_create

    with tenant_scope(tenant_a):
        key, secret = api_key_create(tenant=tenant_a, name="MIS")
    first = api_key_authenticate(secret)
    assert first is not None
    assert first.last_used_at is not None
    with django_assert_num_queries(0):  # remembered by the process (issuers.keycache), used a moment ago
        assert api_key_authenticate(secret) == key
    two_minutes_on = timezone.now() + timedelta(minutes=2)
    monkeypatch.setattr("issuers.selectors.timezone.now", lambda: two_minutes_on)
    with django_assert_num_queries(1):  # the write alone: the key is still remembered
        later = api_key_authenticate(secret)
    assert later is not None
    assert later.last_used_at == two_minutes_on
    with django_assert_num_queries(0):  # and remembered as used at that minute
        api_key_authenticate(secret)
    with tenant_scope(tenant_a):
        assert ApiKey.objects.get(pk=key.pk).last_used_at == later.last_used_at
