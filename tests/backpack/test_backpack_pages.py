"""A backpack of many badges shows them 60 cards a page, newest first, with "Show more badges": every
badge once across the pages, the search applied to the whole backpack before it is cut, and an
unknown cursor starting from the newest."""

from __future__ import annotations

import re

from assertions.services import Recipient, assertion_issue
from backpack.selectors import CARDS_PER_PAGE
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
    everything = [str(i.public_id) for i in first.context["items"]]
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
