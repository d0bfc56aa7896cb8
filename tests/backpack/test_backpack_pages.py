"""A backpack of many badges shows them 60 cards a page, newest first, with "Show more badges": every
badge once across the pages, the search applied to the whole backpack before it is cut, and an
unknown cursor starting from the newest."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assertions.services import Recipient, assertion_issue
from backpack.models import BackpackEntry, ImportedBadge
from backpack.selectors import CARDS_PER_PAGE, backpack_items
from issuers.scoping import tenant_scope
from tests.support.learners import LEARNER, award


def _cards(response) -> list[str]:
    return [str(item.public_id) for item, _ in response.context["page"].cards]


def _more(response) -> str | None:
    found = re.search(r'href="(\?[^"]+)" rel="next"', response.content.decode())
    return found.group(1).replace("&amp;", "&") if found else None


def test_a_big_backpack_pages_60_cards_and_show_more_reaches_every_badge_once(client, learner, badge_a, badge_b):
    with tenant_scope(badge_a.tenant):
        assertion_issue(badge_class=badge_a, notify=False, allow_duplicate=True,
                        recipients=[Recipient(identity=LEARNER) for _ in range(CARDS_PER_PAGE + 4)])
    award(badge_b)
    client.force_login(learner)
    first = client.get("/backpack/")
    assert first.status_code == 200
    assert len(_cards(first)) == CARDS_PER_PAGE
    assert f"Badges 1 to {CARDS_PER_PAGE} of {CARDS_PER_PAGE + 5}" in first.content.decode()
    everything = [str(i.public_id) for i in backpack_items(learner)]  # the whole list, ordered in Python
    assert _cards(first) == everything[:CARDS_PER_PAGE]  # newest first, as the whole list is ordered
    second = client.get("/backpack/" + _more(first))
    assert _cards(second) == everything[CARDS_PER_PAGE:]
    assert len(set(_cards(first) + _cards(second))) == CARDS_PER_PAGE + 5
    assert _more(second) is None
    assert "Back to the newest" in second.content.decode()
    # The search covers the whole backpack, then pages.
    searched = client.get("/backpack/", {"q": badge_b.name})
    assert [i.name for i, _ in searched.context["page"].cards] == [badge_b.name]
    searched = client.get("/backpack/", {"q": badge_a.name})
    assert len(_cards(searched)) == CARDS_PER_PAGE
    assert f"q={badge_a.name.split()[0]}" in _more(searched)
    rest = client.get("/backpack/" + _more(searched))
    assert len(_cards(rest)) == 4
    assert badge_b.name not in [i.name for i, _ in rest.context["page"].cards]
    # A cursor that names no card of this backpack starts from the newest.
    assert _cards(client.get("/backpack/", {"after": "not-a-card"})) == everything[:CARDS_PER_PAGE]


def test_a_small_backpack_shows_every_card_without_paging(client, learner, badge_a):
    award(badge_a)
    client.force_login(learner)
    page = client.get("/backpack/")
    assert len(_cards(page)) == 1
    assert "Show more badges" not in page.content.decode()
    assert "bp-count" not in page.content.decode()


def _page_sql(client, path: str = "/backpack/") -> list[str]:
    """The statements of one request for the page (after a first that fills the caches)."""
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def _issue(badge, count: int) -> None:
    with tenant_scope(badge.tenant):
        assertion_issue(badge_class=badge, notify=False, allow_duplicate=True,
                        recipients=[Recipient(identity=LEARNER) for _ in range(count)])


def test_a_backpack_page_makes_the_same_queries_and_reads_only_its_cards_with_65_and_130_badges(
        client, learner, badge_a):
    _issue(badge_a, CARDS_PER_PAGE + 5)
    client.force_login(learner)
    small = _page_sql(client)
    _issue(badge_a, CARDS_PER_PAGE + 5)
    big = _page_sql(client)
    assert len(big) == len(small)
    # The badges' rows (joined to the award and badge class) are read for the page's cards alone: the order
    # and the cut are the database's (a LIMIT of one more card than the page shows, to know if more follow).
    cards = [sql for sql in big if 'FROM "backpack_backpackentry"' in sql and '"badges_badgeclass"."name"' in sql
             and "declined_at\" IS NOT NULL" not in sql]
    assert len(cards) == 1, cards
    assert f"LIMIT {CARDS_PER_PAGE + 1}" in " ".join(sql for sql in big if "ORDER BY COALESCE" in sql)
    first = client.get("/backpack/")
    assert len(first.context["page"].cards) == CARDS_PER_PAGE
    page = client.get("/backpack/" + _more(first))
    assert (page.context["page"].start, page.context["page"].total) == (CARDS_PER_PAGE, 2 * (CARDS_PER_PAGE + 5))
    third = "/backpack/" + _more(page)
    # A later page adds the cursor's two small queries, and the last one skips the count (it knows the total).
    assert len(_page_sql(client, third)) <= len(_page_sql(client, "/backpack/" + _more(first))) <= len(big) + 2


def test_the_backpack_search_finds_an_imported_badge_by_name_issuer_and_both(client, learner, badge_a):
    award(badge_a)
    imported = ImportedBadge.objects.create(
        user=learner, source="json", original=b"{}", matched_email=LEARNER, verdict="valid",
        badge={"name": "Forklift Safety", "issued_on": "2020-01-02T00:00:00Z"}, issuer={"name": "Northgate Training"},
        checked_at=timezone.now(), issued_at=datetime(2020, 1, 2, tzinfo=UTC))
    BackpackEntry.objects.create(user=learner, imported=imported)
    client.force_login(learner)
    names = lambda q: [i.name for i, _ in client.get("/backpack/", {"q": q}).context["page"].cards]  # noqa: E731
    assert names("forklift") == ["Forklift Safety"]
    assert names("NORTHGATE") == ["Forklift Safety"]
    assert names("safety northgate") == ["Forklift Safety"]  # name and issuer, as one text
    assert names(badge_a.name) == [badge_a.name]
    # Newest first: our award today, the import issued in 2020.
    assert [i.name for i, _ in client.get("/backpack/").context["page"].cards] == [badge_a.name, "Forklift Safety"]
