"""The outcomes dashboard for governors, funders and inspectors: admins and viewers of a college."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from insights.forms import OutcomesFilter
from insights.selectors import Outcomes, outcomes
from issuers.csvexport import csv_streaming_response
from issuers.http import StaffRequest
from issuers.models import Role
from issuers.permissions import role_required


@role_required(Role.ADMIN, Role.VIEWER)
def dashboard(request: StaffRequest, tenant_slug: str) -> HttpResponseBase:
    form = OutcomesFilter(request.GET or None)
    result = None
    if form.is_valid():
        f = form.cleaned_data
        as_csv = request.GET.get("format") == "csv"
        result = outcomes(start=f["start"], end=f["end"], issuer=f["issuer"], badge_class=f["badge_class"],
                          pathway=f["pathway"], with_funnels=not as_csv)
        if as_csv:
            return _csv(result, tenant_slug)
    return render(request, "insights/dashboard.html", {"form": form, "o": result, "chart": _chart(result)})


def _chart(result: Outcomes | None) -> dict[str, Any] | None:
    """Bar geometry for an inline SVG: no JavaScript, no third-party chart library."""
    if result is None:
        return None
    peak = max([a for _, a, _ in result.series] + [1])
    bars = []
    for i, (week, awarded, claimed) in enumerate(result.series):
        ha, hc = round(100 * awarded / peak), round(100 * claimed / peak)
        bars.append({"x": i * 14 + 2, "week": week, "awarded": awarded, "claimed": claimed,
                     "awarded_h": ha, "awarded_y": 102 - ha, "claimed_h": hc, "claimed_y": 102 - hc})
    return {"bars": bars, "width": max(len(bars) * 14 + 4, 40)}


def _csv(result: Outcomes, tenant_slug: str) -> StreamingHttpResponse:
    header = ["badge", "issuer", "awarded", "claimed", "share page views", "linkedin add clicks", "downloads",
              "added to wallets", "employer verifications", "median hours to claim"]

    def lines() -> Iterator[list[Any]]:  # written as it is sent, a badge a line, not built in memory first
        for r in result.rows:
            yield [r.badge_class.name, r.badge_class.issuer.name, r.awarded, r.claimed, r.share_view, r.linkedin,
                   r.download, r.wallet, r.verified, r.median_hours_to_claim]
        t = result.totals
        yield ["All badges", "", t["awarded"], t["claimed"], t["share_view"], t["linkedin"], t["download"],
               t["wallet"], t["verified"], result.median_hours_to_claim]

    return csv_streaming_response(f"outcomes-{tenant_slug}-{result.start}-{result.end}.csv", header, lines())
