"""Helpers shared by tests in several apps. Test modules import shared code from ``tests.support`` (and its
submodules: ``servers`` for real SMTP/Redis/worker processes, ``foreign`` for a foreign issuer,
``conformance`` for the reference validator, ``verification`` for our own badges to verify), never from
another test module or a conftest (``tests/test_suite.py`` fails if one does)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from PIL import Image

from issuers.registry import Registry
from issuers.scoping import tenant_scope

PASSWORD = "correct-horse-battery-9"
RECIPIENT = "learner@example.org"
LD = {"HTTP_ACCEPT": "application/ld+json"}  # asks a public document for its JSON-LD
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200" viewBox="0 0 200 200">'
       b'<circle cx="100" cy="100" r="90" fill="#1d4ed8"/></svg>')


def make_user(email: str):
    """A user who can sign in with ``PASSWORD``, their address verified."""
    from accounts.services import user_mark_email_verified

    user = get_user_model().objects.create_user(email, PASSWORD)
    user_mark_email_verified(user)
    return user


def png_bytes(size: int = 128, colour: tuple[int, ...] = (29, 78, 216)) -> bytes:
    """A square PNG badge image (RGB, or RGBA when ``colour`` has an alpha value)."""
    out = io.BytesIO()
    Image.new("RGBA" if len(colour) == 4 else "RGB", (size, size), colour).save(out, "PNG")
    return out.getvalue()


def url_routes(patterns: list | None = None, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    """Every URL pattern of the project as ``(route, pattern)``; ``pattern.full_name`` is set to its
    namespaced name (e.g. "backpack:badge")."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from url_routes(p.url_patterns, prefix + str(p.pattern), inner)
        elif isinstance(p, URLPattern):
            p.full_name = namespace + (p.name or "")
            yield prefix + str(p.pattern), p


@contextmanager
def broker_down() -> Iterator[None]:
    """Point this process's Celery app at a broker nobody answers (port 1) for the block: ``.delay`` raises
    as it would with Redis down. Not kombu's force_close_all(): its pools are kept per broker URL in a
    global registry, so the closed pool would come back for the real broker in every later test."""
    from badgeplatform.celery import app

    saved = app.conf.broker_url, app.conf.broker_connection_timeout
    app.conf.broker_url, app.conf.broker_connection_timeout = "redis://127.0.0.1:1/0", 1
    app._pool = app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.broker_connection_timeout = saved
        app._pool = app.amqp._producer_pool = None


@contextmanager
def nothing_registered(registry: Registry) -> Iterator[None]:
    """Empty ``registry`` (see ``issuers.registry``) for the block, as if no layer above had filled it."""
    saved = registry._items
    registry._items = []
    try:
        yield
    finally:
        registry._items = saved


@contextmanager
def eager_tasks() -> Iterator[None]:
    """Run tasks in this process as they are queued (``.delay`` calls the task at once)."""
    from badgeplatform.celery import app

    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False


def make_badge(tenant, issuer, name: str, **extra):
    """A badge class of ``issuer`` named ``name`` (PNG), saved directly; ``extra`` are its other fields."""
    from django.core.files.base import ContentFile

    from badges.models import BadgeClass

    with tenant_scope(tenant):
        fields = {"description": f"{name}: done well.", "criteria_narrative": "Shows the skill three times.", **extra}
        badge = BadgeClass(tenant=tenant, issuer=issuer, name=name, **fields)
        badge.image.save("b.png", ContentFile(png_bytes()), save=False)
        badge.save()
    return badge


def endorse(tenant, badge, email: str = "hr@acme.example", name: str = "Acme Builders"):
    """An outside organisation's published endorsement of ``badge`` (through the endorsement services)."""
    from endorsements.services import endorsement_publish, endorsement_request_create, endorser_profile_save

    user = make_user(email)
    endorser_profile_save(user=user, name=name, url="https://acme.example", email="skills@acme.example")
    with tenant_scope(tenant):
        request, _ = endorsement_request_create(badge_class=badge, email=email)
    return endorsement_publish(request=request, user=user, comment="Our site managers trust this badge.")


def issue_to_learner(tenant, badge_class, **kwargs):
    """One award of ``badge_class`` to ``RECIPIENT`` in ``tenant``'s scope; ``kwargs`` as for ``issue_one``."""
    with tenant_scope(tenant):
        return issue_one(badge_class=badge_class, recipient_identity=RECIPIENT, **kwargs)


def issue_one(*, badge_class, recipient_identity: str, recipient_type: str = "email", recipient_name: str = "",
              issued_on=None, expires=None, evidence=(), narrative: str = "", **kwargs):
    """One learner through the issuing service (``assertion_issue`` with a batch of one); ``kwargs``
    go to the service (``actor``, ``notify``, ``verification_type``, ...). A factory for setting a test
    up, so it awards what it is told: ``allow_duplicate`` defaults to True here (the duplicate policy
    itself is tested through the service and the interfaces, tests/assertions/test_duplicates.py)."""
    kwargs.setdefault("allow_duplicate", True)
    from assertions.services import Recipient, assertion_issue

    recipient = Recipient(identity=recipient_identity, name=recipient_name, issued_on=issued_on, expires=expires,
                          evidence=tuple(evidence), narrative=narrative, recipient_type=recipient_type)
    (assertion,) = assertion_issue(badge_class=badge_class, recipients=[recipient], **kwargs)
    return assertion


# --- accounts and addresses ----------------------------------------------------------------------

TOTP_SECRET = "OBWGC5DGN5ZG2LLBMRWWS3RNORXXI4BB"  # base32 of b"platform-admin-totp!"


def make_platform_admin(email: str = "root@platform.example"):
    """A superuser (platform staff) who signs in with ``PASSWORD`` and TOTP under ``TOTP_SECRET``."""
    from allauth.mfa.totp.internal.auth import TOTP

    from accounts.services import user_mark_email_verified

    user = get_user_model().objects.create_superuser(email, PASSWORD)
    user_mark_email_verified(user)
    TOTP.activate(user, TOTP_SECRET)
    return user


def totp_code(user) -> str:
    """The TOTP code of ``TOTP_SECRET`` now (the middle of allauth's accepted window), for ``user``.
    allauth remembers used codes in the shared cache by user id, and every test run's new database
    numbers users from 1 again, so the mark of an earlier run's login is dropped first."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
    from django.core.cache import cache

    counters = list(yield_hotp_counters_from_time())
    code = format_hotp_value(hotp_value(TOTP_SECRET, counters[len(counters) // 2]))
    cache.delete(f"allauth.mfa.totp.used?user={user.pk}&code={code}")
    return code


LOGIN_CODE = r"^\s*([A-Z0-9]{3,}-?[A-Z0-9]{3,})\s*$"


def address_add_unverified(client, email: str) -> None:
    """As the client's signed-in user, type ``email`` into "Email addresses" (allauth's real view) and
    never open the confirmation sent to it: an address that user has not proven."""
    response = client.post(reverse("account_email"), {"email": email, "action_add": ""})
    assert response.status_code == 302, response.content[:500]
    assert EmailAddress.objects.filter(email__iexact=email, verified=False).exists()


def login_code_in(message) -> str | None:
    """The sign-in code in an email, or None when the email carries none."""
    found = re.search(LOGIN_CODE, message.body, re.MULTILINE)
    return found.group(1) if found else None


def link_in(message) -> str:
    """The path of the first link to this site in an email."""
    found = re.search(r"https?://(?:testserver|127\.0\.0\.1:8000)(/\S+)", message.body)
    assert found, message.body
    return found.group(1)


def signed_in_user_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


@contextmanager
def emails_sent(capture_on_commit_callbacks) -> Iterator[None]:
    """Send the emails queued in the block as a worker would once its transaction commits: at the end of
    the block, in this process (pass pytest-django's ``django_capture_on_commit_callbacks``). Every email
    goes through the outbox, which queues its send on commit, and a test's transaction never commits."""
    with eager_tasks(), capture_on_commit_callbacks(execute=True):
        yield


def postgresql_only(why: str) -> pytest.MarkDecorator:
    """For a test of what only PostgreSQL has (a query plan, an index's state): skipped on SQLite, the
    embedded default of ``make test``, saying why. CI runs PostgreSQL, where any skip fails the run."""
    from django.db import connection

    return pytest.mark.skipif(connection.vendor != "postgresql", reason=f"PostgreSQL only: {why}")
