"""Shared fixtures: every test file can set up an owner (alice), a teammate (bob) and an outsider
(charlie, admin of another college) -- "charlie should have no access to Alice's stuff"."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth import get_user_model

from accounts.services import user_mark_email_verified
from issuers.models import Membership, Role
from issuers.scoping import tenant_scope
from issuers.services import issuer_create, tenant_create

PASSWORD = "correct-horse-battery-9"


def make_user(email: str):
    user = get_user_model().objects.create_user(email, PASSWORD)
    user_mark_email_verified(user)
    return user


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
