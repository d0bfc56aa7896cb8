"""Shared fixtures: every test file can set up an owner (alice), a teammate (bob) and an outsider
(charlie, admin of another college) -- "charlie should have no access to Alice's stuff"."""

from __future__ import annotations

import os

import pytest

from badges.services import badge_class_create
from issuers.models import Membership, Role
from issuers.scoping import tenant_scope
from issuers.services import issuer_create, tenant_create
from tests.support import eager_tasks, make_platform_admin, make_user, png_bytes
from tests.support.learners import LEARNER
from tests.support.servers import SmtpSink


@pytest.fixture
def alice(db):
    return make_user("alice@college-a.example")


@pytest.fixture
def bob(db):
    return make_user("bob@college-a.example")


@pytest.fixture
def charlie(db):
    return make_user("charlie@college-b.example")


@pytest.fixture
def platform_admin(db):
    """Platform staff: a superuser with TOTP set up (``tests.support.totp_code`` gives the code)."""
    return make_platform_admin()


@pytest.fixture
def tenant_a(alice, bob):
    tenant = tenant_create(slug="college-a", name="College A", admin_email=alice.email).tenant
    with tenant_scope(tenant):
        Membership.objects.create(tenant=tenant, user=bob, role=Role.ISSUER)
    return tenant


@pytest.fixture
def tenant_b(charlie):
    return tenant_create(slug="college-b", name="College B", admin_email=charlie.email).tenant


@pytest.fixture
def issuer_a(tenant_a, alice):
    with tenant_scope(tenant_a):
        return issuer_create(tenant=tenant_a, name="College A Construction", url="https://a.example",
                             email="badges@a.example", actor=alice)


@pytest.fixture
def issuer_b(tenant_b, charlie):
    with tenant_scope(tenant_b):
        return issuer_create(tenant=tenant_b, name="College B Plumbing", url="https://b.example",
                             email="badges@b.example", actor=charlie)


@pytest.fixture
def badge_a(tenant_a, issuer_a, alice):
    """College A's badge class, made through the service (PNG, criteria, a tag and an alignment)."""
    with tenant_scope(tenant_a):
        return badge_class_create(issuer=issuer_a, name="Safe Scaffolding", description="Erects a tower safely.",
                                  image=png_bytes(), criteria_narrative="Builds a tower.", tags=["construction"],
                                  alignments=[{"targetName": "CSCS Level 1", "targetUrl": "https://example.org/cscs",
                                               "targetFramework": "CSCS"}], actor=alice)


@pytest.fixture
def badge_b(tenant_b, issuer_b, charlie):
    """College B's badge class (another tenant: what alice must never see)."""
    with tenant_scope(tenant_b):
        return badge_class_create(issuer=issuer_b, name="Copper Pipework", description="Joins copper pipe.",
                                  image=png_bytes(colour=(200, 30, 30, 255)), criteria_narrative="Solders a joint.",
                                  actor=charlie)


@pytest.fixture
def other_issuer(tenant_a, alice):
    """College A's second issuer, catering: a member can be limited to it."""
    with tenant_scope(tenant_a):
        return issuer_create(tenant=tenant_a, name="College A Catering", url="https://a.example/catering",
                             email="catering@a.example", actor=alice)


@pytest.fixture
def viewer(tenant_a):
    user = make_user("vera@college-a.example")
    with tenant_scope(tenant_a):
        Membership.objects.create(tenant=tenant_a, user=user, role=Role.VIEWER)
    return user


@pytest.fixture
def limited(tenant_a, other_issuer):
    """An issuer-role tutor limited to the catering issuer: construction badges are not theirs."""
    user = make_user("lee@college-a.example")
    with tenant_scope(tenant_a):
        membership = Membership.objects.create(tenant=tenant_a, user=user, role=Role.ISSUER)
        membership.issuers.set([other_issuer])
    return user


@pytest.fixture
def learner(db):
    """Lee, a learner with a verified address and no membership anywhere."""
    return make_user(LEARNER)


@pytest.fixture
def other_learner(db):
    return make_user("olive@learner.example")


@pytest.fixture
def eager():
    """Tasks run in this process as they are queued, for the whole test (no worker)."""
    with eager_tasks():
        yield


@pytest.fixture
def sink(settings):
    """A real SMTP server (aiosmtpd) on a free port, which this process's email settings point at."""
    smtp = SmtpSink().start()
    smtp.settings_for(settings)
    yield smtp
    smtp.stop()


@pytest.fixture
def receiver(settings):
    """A college's system receiving our webhooks (tests/support/webhooks.py: a real HTTP server checking each
    delivery with the ``standardwebhooks`` library), started; deliveries to loopback are allowed."""
    from tests.support.webhooks import Receiver

    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 3
    server = Receiver().start()
    yield server
    server.stop()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "live_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.django_db(transaction=True))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    # Under CI a skipped test is a failure: a skip must never turn CI green.
    skipped = terminalreporter.stats.get("skipped", [])
    if os.environ.get("CI") == "true" and skipped:
        terminalreporter.write_line(f"CI=true: {len(skipped)} test(s) were skipped; failing the run.", red=True)
        config._ci_skipped = True


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if getattr(session.config, "_ci_skipped", False) or (
        os.environ.get("CI") == "true" and session.config.pluginmanager.get_plugin("terminalreporter")
        and session.config.pluginmanager.get_plugin("terminalreporter").stats.get("skipped")
    ):
        session.exitstatus = 1


@pytest.fixture
def emails_sent_per_request(client, django_capture_on_commit_callbacks, monkeypatch):
    """Account emails are queued by the page and sent by a worker once its transaction commits (the outbox).
    A test's transaction never commits: with this fixture, the test client runs each request's commit hooks,
    and the tasks they queue, at the end of the request, so the email is in ``mail.outbox`` as the page
    answers. Use it where a test reads the emails allauth's pages send."""
    from django.test import Client

    from tests.support import emails_sent

    request = Client.request

    def request_then_commit_hooks(self, **kwargs):
        with emails_sent(django_capture_on_commit_callbacks):
            return request(self, **kwargs)

    monkeypatch.setattr(Client, "request", request_then_commit_hooks)  # every test client of the test
    return client


@pytest.fixture(autouse=True)
def _fast_password_hashing(request, settings):
    """PBKDF2's cost is the point in production and a third of a second per user or login in a test: this
    process hashes with MD5 and still checks every default hasher's passwords. A test whose users sign in
    to processes it starts (gunicorn), which hash as production does, is marked ``production_hashing``."""
    if request.node.get_closest_marker("production_hashing") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
