"""A real Celery worker process (on Redis in CI, on the filesystem broker otherwise) sends the
invitation email to a real SMTP sink (aiosmtpd), reading the test database the test wrote."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from django.db import connection

from issuers.scoping import tenant_scope
from issuers.services import invitation_create

ROOT = Path(__file__).resolve().parents[2]


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list = []

    def handle_message(self, message) -> None:
        self.messages.append(message)


@pytest.fixture
def smtp_sink():
    inbox = Inbox()
    with socket.socket() as probe:  # aiosmtpd cannot start on port 0; pick a free port first
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker(smtp_sink):
    _, port = smtp_sink
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_USE_TLS": "false",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "badgeplatform", "worker", "--pool=solo", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_sends_the_invitation_email_over_smtp(tenant_a, alice, smtp_sink, worker):
    inbox, _ = smtp_sink
    with tenant_scope(tenant_a):
        invitation, url = invitation_create(tenant=tenant_a, email="newtutor@college-a.example", role="issuer",
                                            actor=alice)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not inbox.messages:
        assert worker.poll() is None, worker.stdout.read()
        time.sleep(0.2)
    assert inbox.messages, "the worker did not send the invitation within 60 s"
    message = inbox.messages[0]
    assert message["To"] == "newtutor@college-a.example"
    assert url in message.get_payload(decode=True).decode()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_bakes_an_issued_badge(tenant_a, issuer_a, worker):
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    from assertions.documents import assertion_document, serialize
    from assertions.models import Assertion
    from assertions.services import assertion_issue
    from badges.models import BadgeClass
    from verification.baked import read_baked

    out = io.BytesIO()
    Image.new("RGB", (120, 120), (10, 120, 60)).save(out, "PNG")
    with tenant_scope(tenant_a):
        badge = BadgeClass(tenant=tenant_a, issuer=issuer_a, name="First Aid", description="Gives first aid.")
        badge.image.save("first-aid.png", ContentFile(out.getvalue()), save=False)
        badge.save()
        assertion = assertion_issue(badge_class=badge, recipient_identity="learner@example.org")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with tenant_scope(tenant_a):
            assertion = Assertion.objects.get(pk=assertion.pk)
        if assertion.baked_image:
            break
        assert worker.poll() is None, worker.stdout.read()
        time.sleep(0.2)
    assert assertion.baked_image, "the worker did not bake the image within 60 s"
    with assertion.baked_image.open("rb") as fh:
        baked = fh.read()
    with tenant_scope(tenant_a):
        assert read_baked(baked).encode() == serialize(assertion_document(assertion))
