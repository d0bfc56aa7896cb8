"""Dates and moments on every page are written one way, in the college's time zone with the zone
named (issuers.dates, through the |day and |moment template filters)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

from django.template import Context, Template

from issuers.dates import shown_day, shown_moment

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_a_moment_is_shown_on_the_colleges_clock_with_its_zone_named():
    winter, summer = datetime(2026, 1, 15, 9, 30, tzinfo=UTC), datetime(2026, 7, 1, 22, 45, tzinfo=UTC)
    assert shown_moment(winter, "Europe/London") == "15 January 2026, 09:30 GMT"
    assert shown_moment(summer, "Europe/London") == "1 July 2026, 23:45 BST"
    assert shown_moment(summer, "Asia/Tokyo") == "2 July 2026, 07:45 JST"
    assert shown_moment(summer, "America/Sao_Paulo") == "1 July 2026, 19:45 UTC-03:00"  # a zone with no letters


def test_a_day_is_the_day_the_moment_falls_on_in_the_colleges_zone():
    end_of_day_in_new_york = "2027-03-11T03:59:59Z"  # what the public document says
    assert shown_day(end_of_day_in_new_york, "America/New_York") == "10 March 2027"
    assert shown_day(end_of_day_in_new_york, "UTC") == "11 March 2027"
    assert shown_day(date(2026, 9, 1)) == "1 September 2026"
    assert shown_day(None) == shown_day("not a date") == ""


def test_the_filters_take_a_tenant_a_zone_name_or_the_current_zone(tenant_a):
    page = Template("{{ when|day:tenant }} · {{ when|moment:tenant }} · {{ when|moment:'Asia/Tokyo' }}")
    when = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)
    assert page.render(Context({"when": when, "tenant": tenant_a})) == (
        "2 December 2026 · 2 December 2026, 23:30 GMT · 3 December 2026, 08:30 JST")


def test_no_page_writes_a_date_with_djangos_date_filter():
    """Machine-readable values (``date:'c'`` in a datetime attribute) and two values that are not a
    shown date (a cohort's default name, a month's row label) are the only uses left."""
    allowed = {"|date:'c'", '|date:"c"', "|date:'M Y'", '|date:"F Y"'}
    found = [f"{p.relative_to(TEMPLATES)}: {m}" for p in TEMPLATES.rglob("*") if p.is_file()
             for m in re.findall(r"\|date:(?:'[^']*'|\"[^\"]*\")", p.read_text()) if m not in allowed]
    assert found == []
