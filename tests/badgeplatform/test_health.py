"""/healthz and /readyz, for the load balancer and Compose: in this process, and in gunicorn processes
whose database, broker or migrations are not there."""

from __future__ import annotations

import json

import pytest

from tests.support.servers import WebServer, free_port


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any query here would fail the test.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


@pytest.mark.django_db
def test_readyz_is_ready_when_database_migrations_broker_and_cache_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"ready": True, "failed": [], "checks": {
        "database": "ok", "migrations": "ok", "broker": "ok", "cache": "ok"}}


def _ready(tmp_path, env: dict[str, str]) -> tuple[int, dict]:
    server = WebServer(log_dir=tmp_path, env=env).start()
    try:
        status, _, body = server.get("/readyz")
        healthy = server.get("/healthz")[0]
    finally:
        server.stop()
    assert healthy == 200  # the process is up whatever it depends on
    return status, json.loads(body)


@pytest.mark.django_db
def test_readyz_fails_and_names_the_database_when_nothing_listens_on_its_port(tmp_path):
    dead = f"postgres://postgres@127.0.0.1:{free_port()}/badges"
    status, body = _ready(tmp_path, {"DATABASE_URL": dead})
    assert status == 503
    assert body["failed"] == ["database", "migrations"]
    assert body["checks"]["database"] == "failed (OperationalError)"
    assert body["checks"]["migrations"] == "not checked: no database"
    assert (body["checks"]["broker"], body["checks"]["cache"]) == ("ok", "ok")


@pytest.mark.django_db
def test_readyz_fails_and_names_the_broker_and_cache_when_redis_is_not_there(tmp_path):
    status, body = _ready(tmp_path, {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "REDIS_CACHE_URL": ""})
    assert status == 503
    assert body["failed"] == ["broker", "cache"]
    assert body["checks"]["database"] == body["checks"]["migrations"] == "ok"


@pytest.mark.django_db
def test_readyz_fails_while_migrations_are_not_applied(tmp_path):
    empty = tmp_path / "empty.sqlite3"  # a database that answers but was never migrated
    status, body = _ready(tmp_path, {"DATABASE_URL": f"sqlite:///{empty}"})
    assert status == 503
    assert body["failed"] == ["migrations"]
    assert body["checks"]["database"] == "ok"


def test_compose_checks_web_readiness_and_gives_each_container_a_metrics_directory(tmp_path):
    import subprocess

    import yaml

    from tests.support.servers import ROOT

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert "http://127.0.0.1:8000/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "bin/with-metrics-dir gunicorn" in " ".join(services["web"]["command"])
    assert services["worker"]["command"][:2] == ["bin/with-metrics-dir", "celery"]
    for name in ("web", "worker"):
        assert "metrics:/app/var/metrics" in services[name]["volumes"]
    (tmp_path / "old").mkdir()
    stale = tmp_path / subprocess.run(["hostname"], capture_output=True, text=True).stdout.strip()
    stale.mkdir()
    (stale / "counter_7.db").write_bytes(b"old counts")
    done = subprocess.run([str(ROOT / "bin/with-metrics-dir"), "sh", "-c", "echo $PROMETHEUS_MULTIPROC_DIR"],
                          env={"METRICS_ROOT": str(tmp_path), "PATH": "/usr/bin:/bin"}, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == str(stale)
    assert list(stale.iterdir()) == []  # this container's old counts are gone, another's are kept
    assert (tmp_path / "old").exists()
