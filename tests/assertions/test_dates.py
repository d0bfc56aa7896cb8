"""One rule for what a date means (the start of that day in the college's time zone; the college's
today means now), whichever way the award is made: the tutor's form, the REST API, the CSV bulk job
run by its task (as in the worker, with no time zone of a request) and a pathway's capstone. Public
documents write every timestamp in UTC, whole seconds, with ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from assertions.bulk import bulk_job_create, bulk_preview, rows_from_csv
from assertions.models import Assertion
from badges.services import badge_class_create
from issuers.dates import public_timestamp
from issuers.scoping import tenant_scope
from issuers.services import api_key_create
from pathways.services import pathway_create
from tests.support import eager_tasks, png_bytes


@pytest.fixture
def badge(tenant_a, issuer_a, alice):
    with tenant_scope(tenant_a):
        return badge_class_create(issuer=issuer_a, name="Site Safety", description="Works safely on site.",
                                  image=png_bytes(), criteria_narrative="Passes the site walk.", actor=alice)


@pytest.fixture
def api_key(tenant_a, alice):
    with tenant_scope(tenant_a):
        _, secret = api_key_create(tenant=tenant_a, name="MIS", actor=alice)
    return secret


def _by_form(client, alice, tenant, badge, day):
    client.force_login(alice)
    url = reverse("assertions:award", kwargs={"tenant_slug": tenant.slug, "public_id": badge.public_id})
    response = client.post(url, {"email": "form@example.org", "name": "Form", "issued_on": day})
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()
    return "form@example.org"


def _by_api(client, api_key, badge, day, expires=None):
    body = {"recipient_email": "api@example.org", "issued_on": day, "notify": False}
    if expires:
        body["expires"] = expires
    response = client.post(f"/api/v1/badgeclasses/{badge.public_id}/assertions/", body,
                           content_type="application/json", headers={"Authorization": f"Bearer {api_key}"})
    assert response.status_code == 201, response.content
    return "api@example.org"


def _by_bulk_task(tenant, badge, alice, capture, day, expires=""):
    """The job is queued on commit and run by ``run_bulk_job`` through ``TenantTask``, as a worker runs it."""
    csv = f"email,issued_on,expires\nbulk@example.org,{day},{expires}\n".encode()
    with tenant_scope(tenant):
        preview = bulk_preview(badge_class=badge, rows=rows_from_csv(csv))
        assert not preview.problems, preview.problems
    with eager_tasks(), capture(execute=True):
        with tenant_scope(tenant):
            bulk_job_create(badge_class=badge, preview=preview, actor=alice, notify=False)
    return "bulk@example.org"


def _awards(tenant, badge):
    with tenant_scope(tenant):
        return {a.recipient_identity: a for a in Assertion.objects.filter(badge_class=badge)}


def _document(client, assertion):
    response = client.get(f"/public/assertions/{assertion.public_id}", headers={"Accept": "application/ld+json"})
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize(("day", "start"), [
    ("2026-09-01", "2026-08-31T23:00:00Z"),  # British Summer Time, UTC+1
    ("2026-01-15", "2026-01-15T00:00:00Z"),  # Greenwich Mean Time, UTC+0
    ("2026-10-25", "2026-10-24T23:00:00Z"),  # the clocks go back at 02:00 that day: it starts in summer time
    ("2026-10-26", "2026-10-26T00:00:00Z"),
    ("2026-03-29", "2026-03-29T00:00:00Z"),  # the clocks go forward at 01:00 that day: it starts in GMT
    ("2026-03-30", "2026-03-29T23:00:00Z"),
])
def test_a_day_means_its_start_in_the_college_zone_from_the_form_the_api_and_the_bulk_job(
        client, alice, tenant_a, badge, api_key, django_capture_on_commit_callbacks, day, start):
    assert tenant_a.timezone == "Europe/London"
    made = [_by_form(client, alice, tenant_a, badge, day), _by_api(client, api_key, badge, day),
            _by_bulk_task(tenant_a, badge, alice, django_capture_on_commit_callbacks, day)]
    awards = _awards(tenant_a, badge)
    assert sorted(awards) == sorted(made)
    for identity in made:
        assert public_timestamp(awards[identity].issued_on) == start, identity
        assert _document(client, awards[identity])["issuedOn"] == start, identity


def test_an_expiry_day_lasts_to_its_end_in_the_college_zone_from_the_api_and_the_bulk_job(
        client, alice, tenant_a, badge, api_key, django_capture_on_commit_callbacks):
    made = [_by_api(client, api_key, badge, "2026-06-01", expires="2026-10-25"),
            _by_bulk_task(tenant_a, badge, alice, django_capture_on_commit_callbacks, "2026-06-01", "2026-10-25")]
    awards = _awards(tenant_a, badge)
    for identity in made:
        # 23:59:59 on the day the clocks went back is GMT again: UTC+0.
        assert _document(client, awards[identity])["expires"] == "2026-10-25T23:59:59Z", identity


def test_the_colleges_today_means_now_even_where_its_date_is_not_utcs(
        client, alice, tenant_a, badge, api_key, django_capture_on_commit_callbacks):
    # Auckland is 12-13 hours ahead: for half of every UTC day its "today" is UTC's tomorrow, which a
    # rule using the process's (UTC) date would refuse as a future date or move to midnight.
    tenant_a.timezone = "Pacific/Auckland"
    tenant_a.save(update_fields=["timezone"])
    before = datetime.now(UTC)
    today = before.astimezone(tenant_a.zone).date().isoformat()
    made = [_by_form(client, alice, tenant_a, badge, today), _by_api(client, api_key, badge, today),
            _by_bulk_task(tenant_a, badge, alice, django_capture_on_commit_callbacks, today)]
    after = datetime.now(UTC)
    awards = _awards(tenant_a, badge)
    for identity in made:
        assert before <= awards[identity].issued_on <= after, identity


def test_a_capstone_awarded_by_the_pathway_task_is_dated_now_in_whole_utc_seconds(
        client, alice, tenant_a, issuer_a, badge, django_capture_on_commit_callbacks):
    with tenant_scope(tenant_a):
        capstone = badge_class_create(issuer=issuer_a, name="Site Ready", description="Ready for site.",
                                      image=png_bytes(), criteria_narrative="Holds Site Safety.", actor=alice)
        pathway_create(tenant=tenant_a, name="Site Ready", tree={"all": [{"badge": str(badge.public_id)}]},
                       capstone=capstone, actor=alice, retro_award=False)
    before = datetime.now(UTC).replace(microsecond=0)
    _by_bulk_task(tenant_a, badge, alice, django_capture_on_commit_callbacks, "2026-09-01")
    after = datetime.now(UTC)
    with tenant_scope(tenant_a):
        award = Assertion.objects.get(badge_class=capstone)
    issued_on = _document(client, award)["issuedOn"]
    assert issued_on.endswith("Z")
    assert "." not in issued_on
    assert before <= datetime.fromisoformat(issued_on) <= after


def test_public_timestamps_are_utc_whole_seconds_with_z():
    from zoneinfo import ZoneInfo

    moment = datetime(2026, 9, 1, 10, 15, 30, 987654, tzinfo=ZoneInfo("Europe/London"))
    assert public_timestamp(moment) == "2026-09-01T09:15:30Z"
    assert public_timestamp(moment.astimezone(UTC) + timedelta(hours=1)) == "2026-09-01T10:15:30Z"
    with pytest.raises(ValueError, match="aware"):
        public_timestamp(datetime(2026, 9, 1))  # noqa: DTZ001 - the naive value is the point
