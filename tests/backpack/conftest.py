"""Fixtures for the learner layer: two colleges' badges, a learner with a verified address, awards."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.files.base import ContentFile

from assertions import links
from assertions.models import Assertion
from badges.models import BadgeClass
from issuers.scoping import tenant_scope
from issuers.services import issuer_create
from tests.conftest import make_user
from tests.support import issue_one, png_bytes

LEARNER = "lee@learner.example"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def make_badge(tenant, issuer, name: str, **extra) -> BadgeClass:
    with tenant_scope(tenant):
        badge = BadgeClass(tenant=tenant, issuer=issuer, name=name, description=f"{name}: done well.",
                           criteria_narrative="Shows the skill three times.", **extra)
        badge.image.save("b.png", ContentFile(png_bytes()), save=False)
        badge.save()
    return badge


@pytest.fixture
def badge_a(tenant_a, issuer_a):
    return make_badge(tenant_a, issuer_a, "Safe Scaffolding", alignments=[
        {"targetName": "CSCS Level 1", "targetUrl": "https://example.org/cscs", "targetFramework": "CSCS"}],
        tags=["construction"])


@pytest.fixture
def issuer_b(tenant_b, charlie):
    with tenant_scope(tenant_b):
        return issuer_create(tenant=tenant_b, name="College B Plumbing", url="https://b.example",
                             email="badges@b.example", actor=charlie)


@pytest.fixture
def badge_b(tenant_b, issuer_b):
    return make_badge(tenant_b, issuer_b, "Copper Pipework")


@pytest.fixture
def learner(db):
    return make_user(LEARNER)


@pytest.fixture
def other_learner(db):
    return make_user("olive@learner.example")


def award(badge: BadgeClass, email: str = LEARNER, **kw) -> Assertion:
    with tenant_scope(badge.tenant):
        return issue_one(badge_class=badge, recipient_identity=email, notify=False, **kw)


def claim_path(assertion: Assertion) -> str:
    return links.claim_url(assertion).replace("http://127.0.0.1:8000", "")


def confirm_link(message) -> str:
    found = re.search(r"https?://\S+(/accounts/confirm-email/\S+/)", message.body)
    assert found, message.body
    return found.group(1)


def last_mail_to(address: str):
    sent = [m for m in mail.outbox if address in m.to]
    assert sent, [m.to for m in mail.outbox]
    return sent[-1]
