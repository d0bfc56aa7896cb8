"""Dates and moments on every page, one format (``issuers.dates``): ``{{ value|day:zone }}`` gives
"2 December 2026", ``{{ value|moment:zone }}`` gives "2 December 2026, 14:05 GMT". ``zone`` is the
college's (a tenant, a zone name); without it, the current zone, which the tenant context sets to
the college's on staff pages. A builtin (settings ``TEMPLATES``): no ``{% load %}`` needed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import template

from issuers import dates

register = template.Library()


def _zone(zone: Any) -> dates.ZoneLike:
    if zone is None or zone == "":
        return None
    return getattr(zone, "zone", zone)  # a Tenant: its zone


@register.filter
def day(value: datetime | date | str | None, zone: Any = None) -> str:
    return dates.shown_day(value, _zone(zone))


@register.filter
def moment(value: datetime | str | None, zone: Any = None) -> str:
    return dates.shown_moment(value, _zone(zone))
