"""With DEBUG off, the settings refuse what would do lasting harm unless ALLOW_LOCAL_DEPLOYMENT says so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from badgeplatform.deployment import host_is_local

ROOT = Path(__file__).resolve().parents[2]
# Everything a real production start sets (nothing is contacted by `manage.py check`).
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "production-like-secret-" + "s" * 30,
    "ALLOWED_HOSTS": "badges.riverside.ac.uk",
    "PUBLIC_BASE_URL": "https://badges.riverside.ac.uk",
    "DATABASE_URL": "postgres://badges:pw@db.riverside.ac.uk:5432/badges",
    "REDIS_URL": "redis://broker.riverside.ac.uk:6379/0",
    "EMAIL_HOST": "smtp.riverside.ac.uk",
}
_OURS = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "PUBLIC_BASE_URL", "DATABASE_URL", "REDIS_URL", "REDIS_CACHE_URL",
         "EMAIL_HOST", "ALLOW_LOCAL_DEPLOYMENT", "KEY_ENCRYPTION_KEYS", "SECURE_HSTS_SECONDS", "TESTING",
         "FILE_STORAGE", "S3_BUCKET", "S3_ENDPOINT_URL"}


def run_python(env: dict[str, str], *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in _OURS}
    full = {**clean, "KEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "badgeplatform.settings", **env}
    full = {k: v for k, v in full.items() if v is not None}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=full, capture_output=True, text=True, timeout=90)


def test_a_production_shaped_configuration_starts(tmp_path):
    result = run_python(PRODUCTION, "manage.py", "check", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"PUBLIC_BASE_URL": None}, "PUBLIC_BASE_URL is 'http://127.0.0.1:8000'"),
        ({"PUBLIC_BASE_URL": "https://localhost"}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "https://10.1.2.3"}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "https://[::1]:8443"}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "https://badges.internal"}, "PUBLIC_BASE_URL"),
        ({"REDIS_URL": None}, "filesystem broker: set REDIS_URL"),
        ({"EMAIL_HOST": None}, "set EMAIL_HOST"),
        ({"DATABASE_URL": None}, "SQLite"),
    ],
)
def test_debug_off_refuses_a_local_setting(tmp_path, change, message):
    result = run_python({**PRODUCTION, **change}, "manage.py", "check", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
    assert "ALLOW_LOCAL_DEPLOYMENT=true" in result.stderr  # the refusal says how a trial run gets past it


def test_allow_local_deployment_lets_a_trial_run_with_debug_off_on_the_embedded_default(tmp_path):
    local = {**PRODUCTION, "PUBLIC_BASE_URL": None, "DATABASE_URL": None, "REDIS_URL": None, "EMAIL_HOST": None,
             "ALLOWED_HOSTS": "127.0.0.1"}
    assert run_python(local, "manage.py", "check", tmp_path=tmp_path).returncode != 0
    result = run_python({**local, "ALLOW_LOCAL_DEPLOYMENT": "true"}, "manage.py", "check", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr


def test_allow_local_deployment_does_not_excuse_a_default_secret(tmp_path):
    result = run_python({**PRODUCTION, "SECRET_KEY": None, "ALLOW_LOCAL_DEPLOYMENT": "true"}, "manage.py", "check",
                        tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.5.5.5", "::1", "[::1]", "10.0.0.8", "192.168.1.4",
                                  "172.20.0.2", "169.254.1.1", "0.0.0.0",  # noqa: S104
                                  "fd00::1", "web", "badges.local",
                                  "app.localhost", "badges.lan", "badges.example", "badges.corp.internal"])
def test_local_hosts_are_recognised(host):
    assert host_is_local(host)


@pytest.mark.parametrize("host", ["badges.riverside.ac.uk", "example.org", "8.8.8.8", "2001:4860:4860::8888"])
def test_public_hosts_are_not_local(host):
    assert not host_is_local(host)


HSTS_PROBE = """
import django; django.setup()
from django.test import Client
response = Client().get("/no-such-page/", HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="badges.riverside.ac.uk")
print(response.headers.get("Strict-Transport-Security", "none"))
"""


def test_hsts_is_on_by_default_when_the_public_url_is_https(tmp_path):
    env = {**PRODUCTION, "ALLOW_LOCAL_DEPLOYMENT": "true", "DATABASE_URL": None}  # SQLite: nothing to reach
    result = run_python(env, "-c", HSTS_PROBE, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "max-age=31536000"
    off = run_python({**env, "SECURE_HSTS_SECONDS": "0"}, "-c", HSTS_PROBE, tmp_path=tmp_path)
    assert off.stdout.strip() == "none"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"FILE_STORAGE": "nfs"}, "FILE_STORAGE must be local or s3, got 'nfs'"),
        ({"FILE_STORAGE": "s3"}, "FILE_STORAGE=s3 needs S3_BUCKET"),
        ({"FILE_STORAGE": "s3", "S3_BUCKET": "badges", "S3_ENDPOINT_URL": "ftp://store"}, "S3_ENDPOINT_URL"),
    ],
)
def test_a_file_storage_that_cannot_work_is_refused_at_start(tmp_path, change, message):
    result = run_python({**PRODUCTION, **change}, "manage.py", "check", tmp_path=tmp_path)
    assert result.returncode != 0
    assert message in result.stderr


def test_object_storage_with_a_bucket_starts(tmp_path):
    result = run_python({**PRODUCTION, "FILE_STORAGE": "s3", "S3_BUCKET": "badges",
                         "S3_ENDPOINT_URL": "https://s3.example.ac.uk"}, "manage.py", "check", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
