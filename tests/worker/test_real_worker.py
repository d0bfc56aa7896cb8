"""A real Celery worker process (on Redis in CI, on the filesystem broker otherwise) sends the
invitation email to a real SMTP sink (aiosmtpd), and bakes an issued badge, reading the test database
the test wrote."""

from __future__ import annotations

import pytest

from assertions.documents import assertion_document, serialize
from assertions.models import Assertion
from issuers.models import OutboxEmail
from issuers.scoping import tenant_scope
from issuers.services import invitation_create
from tests.support import issue_one
from tests.support.servers import wait_for
from verification.baked import read_baked


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_sends_the_invitation_email_over_smtp(tenant_a, alice, sink, start_worker):
    worker = start_worker(smtp_port=sink.port)
    with tenant_scope(tenant_a):
        invitation, url = invitation_create(tenant=tenant_a, email="newtutor@college-a.example", role="issuer",
                                            actor=alice)
    wait_for(lambda: sink.messages, timeout=60, alive=worker.assert_alive,
             message="the worker did not send the invitation within 60 s")
    message = sink.messages[0]
    assert message["To"] == "newtutor@college-a.example"
    assert url in message.get_content()

    def sent() -> bool:
        with tenant_scope(tenant_a):
            invitation.refresh_from_db()
        return invitation.email_status == OutboxEmail.Status.SENT

    wait_for(sent, timeout=10, message="the worker did not record the invitation as sent")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_bakes_an_issued_badge_and_emails_the_learner(tenant_a, badge, sink, start_worker):
    worker = start_worker(smtp_port=sink.port)
    with tenant_scope(tenant_a):
        assertion = issue_one(badge_class=badge, recipient_identity="learner@example.org")

    def settled() -> Assertion | None:
        with tenant_scope(tenant_a):
            row = Assertion.objects.get(pk=assertion.pk)
        return row if row.email_status == Assertion.EmailStatus.SENT else None

    assertion = wait_for(settled, timeout=60, alive=worker.assert_alive,
                         message="the worker did not bake and email the badge within 60 s")
    assert assertion.bake_status == Assertion.BakeStatus.DONE
    with assertion.baked_image.open("rb") as fh:
        baked = fh.read()
    with tenant_scope(tenant_a):
        assert read_baked(baked).encode() == serialize(assertion_document(assertion))
    assert sink.assertion_ids() == {str(assertion.public_id): 1}
