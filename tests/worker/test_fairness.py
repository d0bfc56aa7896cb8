"""One college's large cohort does not hold up another college's single award: a cohort's awards go to
the bulk queue, and a worker takes from the bulk and default queues in turn (a real worker, one pool
process, a mail server that takes 20 ms a message)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from assertions.services import Recipient, assertion_issue
from badges.models import BadgeClass
from issuers.scoping import tenant_scope
from issuers.services import issuer_create
from tests.support import issue_one, png_bytes
from tests.support.servers import SmtpSink, wait_for

COHORT = 1000  # five tasks of 200: about 20 s of sending at 20 ms a message


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_single_award_is_emailed_while_another_colleges_cohort_is_still_sending(
        tenant_a, tenant_b, badge, start_worker):
    sink = SmtpSink(delay=0.02).start()
    try:
        worker = start_worker(smtp_port=sink.port)
        with tenant_scope(tenant_b):
            issuer = issuer_create(tenant=tenant_b, name="College B Catering", url="https://b.example",
                                   email="badges@b.example")
            cohort_badge = BadgeClass(tenant=tenant_b, issuer=issuer, name="Food Hygiene", description="Level 2.")
            cohort_badge.image.save("hygiene.png", ContentFile(png_bytes()), save=False)
            cohort_badge.save()
            assertion_issue(badge_class=cohort_badge, recipients=[
                Recipient(identity=f"learner{n}@college-b.example") for n in range(COHORT)])
        wait_for(lambda: sink.raw, timeout=60, alive=worker.assert_alive,
                 message="the worker did not start on the cohort")

        with tenant_scope(tenant_a):
            single = issue_one(badge_class=badge, recipient_identity="ann@college-a.example")
        wait_for(lambda: str(single.public_id) in sink.assertion_ids(), timeout=60, alive=worker.assert_alive,
                 message="the single award was not emailed within 60 s")
        cohort_sent = len(sink.raw) - 1
        # In turn with the bulk queue: it waits for the cohort task being sent, not for the whole cohort.
        assert cohort_sent <= 2 * 200, f"{cohort_sent} of the cohort's {COHORT} emails went first"
    finally:
        sink.stop()
