"""The kept counts (AwardTally, ClaimDelayTally) always equal a recount of the awards: issuing,
claiming, revoking and erasing change them in the same transaction."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from assertions.models import Assertion, AwardTally, ClaimDelayTally
from assertions.services import Recipient, assertion_erase, assertion_issue, assertion_revoke
from assertions.tally import delay_bucket, tally_rebuild
from backpack.services import assertion_claim
from issuers.scoping import tenant_scope
from tests.support import issue_one, make_user


def _kept() -> tuple[set[tuple], set[tuple]]:
    return (set(AwardTally.objects.values_list("badge_class_id", "day", "issued", "claimed", "revoked",
                                                "claimed_revoked").exclude(issued=0)),
            set(ClaimDelayTally.objects.values_list("badge_class_id", "day", "hours", "count").exclude(count=0)))


def test_the_tallies_equal_a_recount_after_every_kind_of_change(tenant_a, badge_a, alice):
    learner = make_user("kim@example.org")
    with tenant_scope(tenant_a):
        old = timezone.now() - timedelta(days=40)
        awards = [issue_one(badge_class=badge_a, recipient_identity=f"l{n}@example.org", notify=False)
                  for n in range(4)]
        awards.append(issue_one(badge_class=badge_a, recipient_identity="l9@example.org", issued_on=old, notify=False))
        kims = [issue_one(badge_class=badge_a, recipient_identity=learner.email, notify=False) for _ in range(2)]
        assertion_claim(assertion=kims[0], user=learner)
        assertion_claim(assertion=kims[1], user=learner)
        assertion_revoke(assertion=kims[1], reason="Issued in error", actor=alice)  # claimed, then revoked
        assertion_revoke(assertion=awards[0], reason="Issued in error", actor=alice)
        assertion_erase(assertion=awards[1], delete=True, actor=alice)
        kept = _kept()
        totals = AwardTally.objects.filter(badge_class=badge_a)
        assert sum(t.issued for t in totals) == Assertion.objects.filter(badge_class=badge_a).count() == 6
        assert sum(t.claimed for t in totals) == 2
        assert sum(t.revoked for t in totals) == 2
        assert sum(t.claimed_revoked for t in totals) == 1
        assert len(totals) == 2  # today and 40 days ago
        tally_rebuild()
        assert _kept() == kept


def test_a_claim_delay_is_kept_to_the_hour_then_to_the_day():
    now = timezone.now()
    assert delay_bucket(now, now + timedelta(minutes=59)) == 0
    assert delay_bucket(now, now + timedelta(hours=47, minutes=59)) == 47
    assert delay_bucket(now, now + timedelta(days=3, hours=5)) == 72
    assert delay_bucket(now, now - timedelta(minutes=1)) is None


def test_a_batch_with_several_issue_dates_is_counted_as_a_recount_counts_it(tenant_a, badge_a, alice):
    """``tally.issued`` works out each distinct issue moment's day once: a batch mixing moments, two of them
    on one day in the college's zone, is counted per day exactly as the recount counts it."""
    now = timezone.now()
    moments = [now, now, now - timedelta(seconds=1), now - timedelta(days=3), None]
    with tenant_scope(tenant_a):
        assertion_issue(badge_class=badge_a, notify=False, actor=alice, recipients=[
            Recipient(identity=f"b{n}@example.org", issued_on=when) for n, when in enumerate(moments)])
        kept = _kept()
        assert sum(row[2] for row in kept[0]) == 5
        tally_rebuild()
        assert _kept() == kept
