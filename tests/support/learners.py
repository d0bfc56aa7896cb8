"""Learners' side of tests: an award to a learner, the claim link and the emails they receive."""

from __future__ import annotations

import re

from django.core import mail

from assertions import links
from assertions.models import Assertion
from badges.models import BadgeClass
from issuers.scoping import tenant_scope
from tests.support import issue_one

LEARNER = "lee@learner.example"


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
