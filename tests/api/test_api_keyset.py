"""The API's award list pages by a cursor over (issued_on, id): every award once, in order, however
many share an issue time; page numbers still work near the start; the count is bounded."""

from __future__ import annotations

from assertions.services import Recipient, assertion_issue
from issuers.api import KeysetPagination
from issuers.scoping import tenant_scope
from tests.support import postgresql_only


def _cohort(tenant, badge, n):
    """One batch: every award has the same issue time, so only the id orders them."""
    with tenant_scope(tenant):
        return assertion_issue(badge_class=badge, notify=False, recipients=[
            Recipient(identity=f"c{i}@example.org") for i in range(n)])


def _walk(api, url, key):
    seen = []
    while url:
        page = api.get(url.replace("http://testserver", "")).json()
        seen += [a["id"] for a in page["results"]]
        url = page[key]
    return seen, page


def test_next_walks_every_award_once_newest_first_and_previous_walks_back(api_a, tenant_a, badge_a):
    made = _cohort(tenant_a, badge_a, 7)
    newest_first = [str(a.public_id) for a in sorted(made, key=lambda a: a.pk, reverse=True)]
    first = api_a.get("/api/v1/assertions/", {"page_size": 3}).json()
    assert first["count"] == 7
    assert first["previous"] is None
    seen, last = _walk(api_a, first["next"], "next")
    assert [a["id"] for a in first["results"]] + seen == newest_first
    assert last["next"] is None
    assert len(last["results"]) == 1
    back, _ = _walk(api_a, last["previous"], "previous")
    assert back == newest_first[3:6] + newest_first[0:3]  # each page in order, pages going back
    for page in (2, 3):  # page numbers still give the same pages
        numbered = api_a.get("/api/v1/assertions/", {"page_size": 3, "page": page}).json()
        assert [a["id"] for a in numbered["results"]] == newest_first[3 * page - 3: 3 * page]


def test_filters_apply_to_every_cursor_page(api_a, tenant_a, badge_a):
    _cohort(tenant_a, badge_a, 4)
    first = api_a.get("/api/v1/assertions/", {"page_size": 1, "recipient": "c2@example.org"}).json()
    assert len(first["results"]) == 1
    assert first["next"] is None


def test_a_cursor_that_is_not_ours_is_refused_with_a_message(api_a, tenant_a, badge_a):
    _cohort(tenant_a, badge_a, 2)
    response = api_a.get("/api/v1/assertions/", {"cursor": "WyIyMDI2IiwgMV0"})
    assert response.status_code == 400
    assert "next" in response.json()["detail"]
    assert api_a.get("/api/v1/assertions/", {"page_size": "many"}).status_code == 400


def test_the_count_is_exact_up_to_the_cap_and_null_beyond(api_a, tenant_a, badge_a, monkeypatch):
    _cohort(tenant_a, badge_a, 5)
    monkeypatch.setattr(KeysetPagination, "COUNT_CAP", 4)  # a small cap instead of 10,001 awards
    assert api_a.get("/api/v1/assertions/").json()["count"] is None
    monkeypatch.setattr(KeysetPagination, "COUNT_CAP", 5)
    assert api_a.get("/api/v1/assertions/").json()["count"] == 5


def test_page_numbers_stop_at_the_offset_limit_with_a_pointer_to_the_cursor(api_a, tenant_a, badge_a, monkeypatch):
    _cohort(tenant_a, badge_a, 6)
    monkeypatch.setattr(KeysetPagination, "MAX_OFFSET", 4)
    assert api_a.get("/api/v1/assertions/", {"page": 2, "page_size": 2}).status_code == 200
    response = api_a.get("/api/v1/assertions/", {"page": 3, "page_size": 2})
    assert response.status_code == 400
    assert "next" in str(response.json())


@postgresql_only("reads its query plan")
def test_the_list_reads_newest_first_from_the_issue_index(tenant_a, badge_a):
    """EXPLAIN of the list's query: the (tenant, issued_on, id) index serves order and limit, no sort."""
    from django.db import connection

    from assertions.models import Assertion

    _cohort(tenant_a, badge_a, 3)
    with tenant_scope(tenant_a), connection.cursor() as cursor:
        # A 3-row table would be scanned and sorted otherwise: ask for the plan a big table gets.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        plan = Assertion.objects.order_by("-issued_on", "-id")[:51].explain()
    assert "Index Scan Backward using assertion_issued" in plan, plan
