"""What issuing writes, whichever way its rows go to the database: a small batch's email rows, awards,
tally, audit entry and announcement in one statement (``issuers.rows.RowWrites``, PostgreSQL), a cohort's
chunk of ``COPY_FROM`` or more each on its own (``COPY``, then the ORM). The same rows either way."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assertions.models import Announcement, Assertion, AwardTally
from assertions.services import Recipient, assertion_issue
from issuers.models import AuditEntry, OutboxEmail
from issuers.rows import COPY_FROM
from issuers.scoping import tenant_scope

NAME = "Zoë\tSiân \\ \"quoted\"\nnext line"


@pytest.mark.parametrize("size", [1, 3, COPY_FROM])
def test_a_batch_writes_its_awards_emails_tally_audit_entry_and_announcement(size, tenant_a, badge_a, alice):
    issued_on = timezone.now() - timedelta(days=2)
    recipients = [Recipient(identity=f"Learner{n}@Example.org", name=f" {NAME} {n} ", issued_on=issued_on,
                            evidence=({"url": f"https://portfolio.example/{n}", "narrative": NAME},),
                            narrative=f"{NAME} ") for n in range(size)]
    with tenant_scope(tenant_a):
        before = AuditEntry.objects.count()
        awards = assertion_issue(badge_class=badge_a, recipients=recipients, actor=alice)
        assert [a.recipient_identity for a in awards] == [f"learner{n}@example.org" for n in range(size)]
        stored = {a.pk: a for a in Assertion.objects.filter(badge_class=badge_a)}
        assert len(stored) == size
        for n, award in enumerate(awards):
            back = stored[award.pk]
            assert {k: v for k, v in back.__dict__.items() if k != "_state"} == {
                k: v for k, v in award.__dict__.items() if k not in {"_state", "_prefetched_objects_cache"}
            } | {"baked_image": back.baked_image}, n
            assert back.recipient_name == f"{NAME} {n}"
            assert back.narrative == NAME
            assert back.evidence == [{"id": f"https://portfolio.example/{n}", "narrative": NAME}]
            assert back.issued_on == issued_on
            assert back.bake_status == Assertion.BakeStatus.PENDING
            assert back.tenant_id == tenant_a.pk
            assert back.issued_by_id == alice.pk
            mail = OutboxEmail.objects.get(pk=back.mail_id)
            assert (mail.tenant_id, mail.kind, mail.to, mail.status, mail.content, mail.attempts) == (
                tenant_a.pk, Assertion.EMAIL_KIND, award.recipient_identity, OutboxEmail.Status.QUEUED, {}, 0)
        (tally,) = AwardTally.objects.filter(badge_class=badge_a)
        assert (tally.issued, tally.claimed, tally.revoked) == (size, 0, 0)
        assert tally.day == timezone.localtime(issued_on, tenant_a.zone).date()
        (entry,) = AuditEntry.objects.order_by("-id")[:AuditEntry.objects.count() - before]
        assert (entry.tenant_id, entry.actor_id, entry.actor_label, entry.action, entry.badge) == (
            tenant_a.pk, alice.pk, alice.email, "assertion.issue", badge_a.public_id)
        if size == 1:
            assert (entry.object_type, entry.object_id, entry.object_label, entry.learner, entry.summary,
                    entry.data) == ("Assertion", str(awards[0].public_id), badge_a.name, "l•••@example.org",
                                    f"{badge_a.name} awarded", {})
        else:
            assert (entry.object_type, entry.object_id, entry.summary, entry.data) == (
                "BadgeClass", str(badge_a.public_id), f"{badge_a.name} awarded to {size} learners",
                {"assertions": [str(a.public_id) for a in awards]})
        (announcement,) = Announcement.objects.all()
        assert (announcement.tenant_id, announcement.event, announcement.kwargs) == (
            tenant_a.pk, "issued", {"tenant_id": tenant_a.pk, "assertion_ids": [a.pk for a in awards]})
