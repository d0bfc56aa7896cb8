"""The outcomes dashboard shows exactly what a scenario created, for its own college only."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from assertions.models import Assertion
from assertions.services import Recipient, assertion_issue
from assertions.tally import tally_rebuild
from badges.models import BadgeClass
from insights.events import daily_count_add, event_count
from insights.models import DailyCount
from insights.selectors import outcomes
from issuers.models import Membership, Role
from issuers.scoping import tenant_scope, unscoped
from pathways.services import pathway_check, pathway_create
from tests.support import PASSWORD, eager_tasks, make_user
from verification.models import VerificationEvent


def _badge(tenant, issuer, name):
    out = io.BytesIO()
    Image.new("RGBA", (96, 96), (0, 90, 160, 255)).save(out, "PNG")
    b = BadgeClass(tenant=tenant, issuer=issuer, name=name, description=name)
    b.image.save("b.png", ContentFile(out.getvalue()), save=False)
    b.save()
    return b


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def scenario(tenant_a, issuer_a):
    """Welding: 4 awards (2 claimed after 2 h and 6 h), Plumbing: 1 award; events on both."""
    today = timezone.localdate()
    with tenant_scope(tenant_a):
        welding, plumbing = _badge(tenant_a, issuer_a, "Welding"), _badge(tenant_a, issuer_a, "Plumbing")
        made = assertion_issue(badge_class=welding, recipients=[
            Recipient(identity=f"w{i}@example.org", issued_on=_at(today - timedelta(days=3))) for i in range(4)])
        assertion_issue(badge_class=plumbing, recipients=[Recipient(identity="w0@example.org")])
        old = _at(today - timedelta(days=400))
        assertion_issue(badge_class=welding, recipients=[Recipient(identity="old@example.org", issued_on=old)])
        for a, hours in zip(made[:2], (2, 6), strict=True):
            Assertion.objects.filter(pk=a.pk).update(claimed_at=a.issued_on + timedelta(hours=hours))
        tally_rebuild()  # the claims above are dated by hand, past the claim service: count them again
        for kind, n in (("share_view", 7), ("linkedin", 2), ("download", 3)):
            daily_count_add(tenant_id=tenant_a.pk, badge_class_id=welding.pk, kind=kind, day=today.isoformat(), n=n)
        daily_count_add(tenant_id=tenant_a.pk, badge_class_id=welding.pk, kind="share_view",
                        day=(today - timedelta(days=500)).isoformat(), n=99)  # outside the period
    with unscoped("test data: verification events as the recording task writes them"):
        for a in made[:3]:
            VerificationEvent.objects.create(tenant=tenant_a, assertion_public_id=a.public_id, verdict="valid",
                                             source="page")
        VerificationEvent.objects.create(tenant=None, assertion_public_id=None, verdict="invalid", source="api")
    return welding, plumbing, today


def test_the_numbers_are_exactly_what_the_scenario_created(tenant_a, scenario):
    welding, plumbing, today = scenario
    with tenant_scope(tenant_a):
        o = outcomes(start=today - timedelta(days=30), end=today)
    rows = {r.badge_class.name: r for r in o.rows}
    w = rows["Welding"]
    assert (w.awarded, w.claimed, w.share_view, w.linkedin, w.download, w.verified) == (4, 2, 7, 2, 3, 3)
    assert w.median_hours_to_claim == 4.0
    assert (rows["Plumbing"].awarded, rows["Plumbing"].claimed) == (1, 0)
    assert o.totals == {"awarded": 5, "claimed": 2, "share_view": 7, "linkedin": 2, "download": 3, "wallet": 0,
                        "verified": 3}
    assert sum(a for _, a, _ in o.series) == 5
    assert sum(c for _, _, c in o.series) == 2


def test_filters_narrow_to_a_badge(tenant_a, scenario):
    welding, plumbing, today = scenario
    with tenant_scope(tenant_a):
        o = outcomes(start=today - timedelta(days=30), end=today, badge_class=plumbing)
    assert [r.badge_class.name for r in o.rows] == ["Plumbing"]
    assert o.totals["awarded"] == 1


def test_pathway_funnel_counts_started_halfway_and_completed(tenant_a, issuer_a, scenario):
    welding, plumbing, today = scenario
    with tenant_scope(tenant_a):
        capstone = _badge(tenant_a, issuer_a, "Trades Ready")
        pathway = pathway_create(tenant=tenant_a, name="Trades", capstone=capstone, retro_award=False,
                                 tree={"all": [{"badge": str(welding.public_id)}, {"badge": str(plumbing.public_id)}]})
        pathway_check(pathway=pathway, identity="w0@example.org")  # w0 holds both: completes
        o = outcomes(start=today - timedelta(days=30), end=today, pathway=pathway)
    (funnel,) = o.funnels
    # Welding holders w0..w3 and old@ started; each holds half or more (1 of 2); only w0 completed.
    assert (funnel.started, funnel.halfway, funnel.completed) == (5, 5, 1)
    assert {r.badge_class.name for r in o.rows} == {"Welding", "Plumbing", "Trades Ready"}


def test_a_funnel_counts_a_learner_with_two_addresses_once(tenant_a, issuer_a):
    """Pathways count a learner as all their verified addresses; so does the funnel."""
    from allauth.account.models import EmailAddress

    learner = make_user("sam@home.example")
    EmailAddress.objects.create(user=learner, email="Sam.Jones@College.example", verified=True)
    today = timezone.localdate()
    with tenant_scope(tenant_a):
        welding, plumbing, safety, capstone = (_badge(tenant_a, issuer_a, n)
                                               for n in ("Welding", "Plumbing", "Safety", "Trades"))
        assertion_issue(badge_class=welding, recipients=[Recipient(identity="sam@home.example"),
                                                          Recipient(identity="pat@example.org")])
        assertion_issue(badge_class=plumbing, recipients=[Recipient(identity="sam.jones@college.example")])
        pathway = pathway_create(tenant=tenant_a, name="Trades", capstone=capstone, retro_award=False,
                                 tree={"all": [{"badge": str(welding.public_id)}, {"badge": str(plumbing.public_id)},
                                               {"badge": str(safety.public_id)}]})
        o = outcomes(start=today - timedelta(days=30), end=today, pathway=pathway)
    (funnel,) = o.funnels
    # Sam (two addresses, 2 of 3 badges: halfway) and Pat (1 of 3): two learners, not three addresses.
    assert (funnel.started, funnel.halfway) == (2, 1)


def test_events_counted_through_the_count_task_add_up(tenant_a, scenario, settings):
    welding, _, today = scenario

    with eager_tasks():
        for _ in range(3):
            event_count(kind="download", tenant_id=tenant_a.pk, badge_class_id=welding.pk)
    with tenant_scope(tenant_a):
        assert DailyCount.objects.get(badge_class=welding, kind="download", day=today).count == 6
    with pytest.raises(ValueError, match="Unknown event kind"):
        event_count(kind="email_open", tenant_id=tenant_a.pk, badge_class_id=welding.pk)


def test_dashboard_page_and_csv_for_admins_and_viewers(client, tenant_a, alice, scenario):
    welding, _, today = scenario
    client.login(email=alice.email, password=PASSWORD)
    page = client.get("/t/college-a/outcomes/")
    assert page.status_code == 200
    assert b"Welding" in page.content
    assert b"<svg" in page.content
    response = client.get("/t/college-a/outcomes/", {"start": (today - timedelta(days=30)).isoformat(),
                                                     "end": today.isoformat(), "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming  # written as it is sent, not built in memory first
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["badge", "issuer", "awarded"]
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["Welding"][2:9] == ["4", "2", "7", "2", "3", "0", "3"]
    assert by_name["All badges"][2] == "5"
    viewer = make_user("governor@college-a.example")
    with tenant_scope(tenant_a):
        Membership.objects.create(tenant=tenant_a, user=viewer, role=Role.VIEWER)
    client.login(email=viewer.email, password=PASSWORD)
    assert client.get("/t/college-a/outcomes/").status_code == 200


def test_bad_dates_get_a_message_not_an_error(client, tenant_a, alice):
    client.login(email=alice.email, password=PASSWORD)
    response = client.get("/t/college-a/outcomes/", {"start": "2026-05-01", "end": "2026-01-01"})
    assert response.status_code == 200
    assert b"must be on or before" in response.content
    assert client.get("/t/college-a/outcomes/", {"start": "yesterday"}).status_code == 200


def test_tutors_and_other_colleges_cannot_see_the_dashboard(client, tenant_a, tenant_b, bob, charlie, scenario):
    client.login(email=bob.email, password=PASSWORD)
    assert client.get("/t/college-a/outcomes/").status_code == 403
    client.login(email=charlie.email, password=PASSWORD)
    assert client.get("/t/college-a/outcomes/").status_code == 404
    response = client.get("/t/college-b/outcomes/", {"format": "csv"})
    assert b"Welding" not in b"".join(response.streaming_content)
