"""Share pages (HTML for crawlers, Open Graph, noindex, the learner's name), LinkedIn links, collections."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

from django.utils import timezone

from assertions import links
from assertions.serializers import AssertionSerializer
from backpack import services
from backpack.models import BackpackEntry, Visibility
from tests.support import eager_tasks, make_badge
from tests.support.learners import award

CRAWLER = {"HTTP_ACCEPT": "*/*", "HTTP_USER_AGENT": "LinkedInBot/1.0"}


def meta(html: str, key: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', html)
    return found.group(1) if found else None


def _claimed(learner, badge, **kw):
    a = award(badge, recipient_name="Lee Learner", **kw)
    entry = services.assertion_claim(assertion=a, user=learner)
    return a, entry


def test_share_page_answers_html_to_crawlers_with_open_graph_and_twitter_meta(client, learner, badge_a):
    a, _ = _claimed(learner, badge_a)
    response = client.get(f"/s/{a.public_id}/", **CRAWLER)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert meta(html, "og:title") == "Safe Scaffolding"
    assert meta(html, "og:description").startswith("Awarded by College A Construction.")
    assert meta(html, "og:image") == f"http://127.0.0.1:8000/s/{a.public_id}/image.png"
    assert meta(html, "og:url") == links.share_url(a)
    assert meta(html, "twitter:card") == "summary"
    assert meta(html, "twitter:image") == meta(html, "og:image")
    assert links.verify_url(a) in html
    image = client.get(f"/s/{a.public_id}/image.png", **CRAWLER)
    assert image["Content-Type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")


def test_share_pages_are_noindex_unless_the_learner_opts_in(client, learner, badge_a):
    a, entry = _claimed(learner, badge_a)
    assert meta(client.get(f"/s/{a.public_id}/").content.decode(), "robots") == "noindex"
    services.entry_update(entry=entry, visibility=Visibility.PUBLIC, show_name=False, indexable=True)
    assert meta(client.get(f"/s/{a.public_id}/").content.decode(), "robots") is None
    # An unclaimed award's share page is always noindex: nobody has opted in.
    other = award(badge_a, "unclaimed@example.org")
    assert meta(client.get(f"/s/{other.public_id}/").content.decode(), "robots") == "noindex"


def test_learner_name_shows_only_after_claim_and_opt_in(client, learner, badge_a):
    learner.name = "Lee Learner"
    learner.save()
    a = award(badge_a, recipient_name="Lee Learner")
    client.force_login(learner)
    client.get("/backpack/")  # the award is in the backpack, not yet claimed
    entry = BackpackEntry.objects.get(user=learner, assertion=a)
    services.entry_update(entry=entry, visibility=Visibility.LINK, show_name=True, indexable=False)
    client.logout()
    assert b"Lee Learner" not in client.get(f"/s/{a.public_id}/").content  # opted in, but not claimed
    services.assertion_claim(assertion=a, user=learner)
    services.entry_update(entry=entry, visibility=Visibility.LINK, show_name=False, indexable=False)
    assert b"Lee Learner" not in client.get(f"/s/{a.public_id}/").content  # claimed, not opted in
    services.entry_update(entry=entry, visibility=Visibility.LINK, show_name=True, indexable=False)
    assert b"Earned by <strong>Lee Learner</strong>" in client.get(f"/s/{a.public_id}/").content


def test_a_private_badge_has_no_share_page_for_others_but_still_verifies(client, learner, other_learner, badge_a):
    a, entry = _claimed(learner, badge_a)
    services.entry_update(entry=entry, visibility=Visibility.PRIVATE, show_name=True, indexable=True)
    assert client.get(f"/s/{a.public_id}/").status_code == 404
    assert client.get(f"/s/{a.public_id}/image.png").status_code == 404
    client.force_login(other_learner)
    assert client.get(f"/s/{a.public_id}/").status_code == 404
    client.force_login(learner)
    assert client.get(f"/s/{a.public_id}/").status_code == 200  # the owner previews it
    assert client.get(f"/public/assertions/{a.public_id}", HTTP_ACCEPT="application/ld+json").status_code == 200


def test_a_revoked_badge_share_page_shows_the_image_marked_revoked_the_reason_and_no_expiry(
        client, learner, badge_a):
    from datetime import date

    from assertions.services import assertion_revoke
    from issuers.scoping import tenant_scope

    a, _ = _claimed(learner, badge_a, expires=date(2036, 6, 30))
    with tenant_scope(a.tenant):
        assertion_revoke(assertion=a, reason="Issued in error")
    response = client.get(f"/s/{a.public_id}/")
    assert response.status_code == 410
    html = response.content.decode()
    assert "was revoked by its issuer" in html
    assert "Reason: Issued in error" in html
    assert f'src="/public/badges/{badge_a.public_id}/image"' in html
    assert 'class="bp-revoked-stamp"' in html
    assert "Valid until" not in html
    assert "30 June 2036" not in html


def test_unknown_share_ids_are_404(client, db):
    assert client.get("/s/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/s/not-a-uuid/").status_code == 404


def test_the_api_representation_carries_the_share_url(learner, badge_a):
    a = award(badge_a)
    assert AssertionSerializer(a).data["share_url"] == f"http://127.0.0.1:8000/s/{a.public_id}/"


def test_linkedin_add_link_carries_name_organisation_dates_and_credential(client, learner, badge_a):
    expires = timezone.now() + timezone.timedelta(days=400)
    a, entry = _claimed(learner, badge_a, expires=expires)
    client.force_login(learner)
    html = client.get(f"/backpack/badges/{entry.public_id}/").content.decode()
    href = re.search(r'href="([^"]+)" id="linkedin-add"', html).group(1).replace("&amp;", "&")
    parts = urlsplit(href)
    assert (parts.netloc, parts.path) == ("www.linkedin.com", "/profile/add")
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert q["startTask"] == "CERTIFICATION_NAME"
    assert q["name"] == "Safe Scaffolding"
    assert q["organizationName"] == "College A Construction"
    assert (q["issueYear"], q["issueMonth"]) == (str(a.issued_on.year), str(a.issued_on.month))
    assert (q["expirationYear"], q["expirationMonth"]) == (str(a.expires.year), str(a.expires.month))
    assert q["certId"] == str(a.public_id)
    assert q["certUrl"] == links.verify_url(a)
    assert "https://www.linkedin.com/sharing/share-offsite/?url=" in html
    assert f'&lt;a href=&quot;{links.share_url(a)}&quot;&gt;' in html  # the embed snippet
    assert "mailto:?subject=" in html


def test_collection_pages_follow_their_visibility(client, learner, other_learner, badge_a, badge_b):
    a, entry_a = _claimed(learner, badge_a)
    b, entry_b = _claimed(learner, badge_b)
    client.force_login(learner)
    response = client.post("/backpack/collections/", {
        "name": "Level 2 Construction", "description": "My site skills", "visibility": "link",
        "entries": [str(entry_a.public_id), str(entry_b.public_id)]})
    collection = learner.badge_collections.get()
    assert response.url == f"/backpack/collections/{collection.public_id}/"
    client.logout()
    page = client.get(f"/c/{collection.public_id}/")
    assert page.status_code == 200
    assert [i.name for i, _ in page.context["shown"]] == ["Safe Scaffolding", "Copper Pipework"]
    assert meta(page.content.decode(), "robots") == "noindex"  # link-only
    # Hiding a badge removes it from the collection page.
    services.entry_update(entry=entry_b, visibility=Visibility.PRIVATE, show_name=False, indexable=False)
    assert [i.name for i, _ in client.get(f"/c/{collection.public_id}/").context["shown"]] == ["Safe Scaffolding"]
    collection.visibility = Visibility.PUBLIC
    collection.save()
    assert meta(client.get(f"/c/{collection.public_id}/").content.decode(), "robots") is None
    collection.visibility = Visibility.PRIVATE
    collection.save()
    assert client.get(f"/c/{collection.public_id}/").status_code == 404
    client.force_login(other_learner)
    assert client.get(f"/c/{collection.public_id}/").status_code == 404
    client.force_login(learner)
    assert client.get(f"/c/{collection.public_id}/").status_code == 200


def test_collection_needs_a_name_and_says_so(client, learner):
    client.force_login(learner)
    response = client.post("/backpack/collections/", {"name": "  ", "visibility": "link"})
    assert response.status_code == 400
    assert b"This field is required" in response.content or b"Give the collection a name" in response.content
    assert not learner.badge_collections.exists()


def test_share_views_and_downloads_reach_the_outcomes_dashboard(client, learner, badge_a):
    from insights.models import DailyCount
    from issuers.scoping import tenant_scope

    a, entry = _claimed(learner, badge_a)
    with eager_tasks():
        client.get(f"/s/{a.public_id}/", **CRAWLER)
        client.get(f"/s/{a.public_id}/", REMOTE_ADDR="192.0.2.99", **CRAWLER)  # another visitor
        client.force_login(learner)
        client.get(f"/s/{a.public_id}/")  # the owner's own look is not a view
        client.get(f"/backpack/badges/{entry.public_id}/download/image/")
    with tenant_scope(a.tenant):
        counts = dict(DailyCount.objects.filter(badge_class=badge_a).values_list("kind", "count"))
    assert counts == {"share_view": 2, "download": 1}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def test_the_embed_snippet_keeps_a_badge_name_with_quotes_and_markup_as_text(client, learner, tenant_a, issuer_a):
    name = 'Weld "Pro" <script>alert(1)</script> \' onerror=alert(2) & Co'
    a, entry = _claimed(learner, make_badge(tenant_a, issuer_a, name))
    client.force_login(learner)
    html = client.get(f"/backpack/badges/{entry.public_id}/").content.decode()
    textarea = re.search(r'<textarea id="bp-embed"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    assert "<" not in textarea  # shown as text on the page, not markup
    snippet = unescape(textarea)  # what the learner copies
    parser = _Elements()
    parser.feed(snippet)
    assert [tag for tag, _ in parser.found] == ["a", "img"]  # no <script>, no extra element
    (_, link), (_, img) = parser.found
    assert link == {"href": links.share_url(a)}
    assert img["alt"] == f"{name} badge from College A Construction"  # the name, whole, as text
    assert "onerror" not in {k for k, _ in img.items()}


def test_a_share_page_counts_once_per_visitor_per_day_and_never_for_its_learner(client, learner, badge_a, tenant_a):
    from insights.models import DailyCount, VisitorMark
    from issuers.scoping import tenant_scope
    from tests.support import eager_tasks

    a, _ = _claimed(learner, badge_a)
    url = f"/s/{a.public_id}/"

    def views() -> int:
        with tenant_scope(tenant_a):
            counts = DailyCount.objects.filter(badge_class=badge_a, kind="share_view")
            return sum(counts.values_list("count", flat=True))

    with eager_tasks():
        for _ in range(4):  # one visitor reloading
            assert client.get(url, REMOTE_ADDR="192.0.2.1").status_code == 200
        assert views() == 1
        client.get(url, REMOTE_ADDR="192.0.2.2")  # someone else
        assert views() == 2
        client.force_login(learner)  # the learner looking at their own page, from anywhere
        client.get(url, REMOTE_ADDR="203.0.113.5")
        client.get(url, REMOTE_ADDR="203.0.113.6")
        assert views() == 2
    with tenant_scope(tenant_a):
        marks = list(VisitorMark.objects.values_list("visitor", flat=True))
    assert len(marks) == 2
    assert all(len(m) == 64 and "192.0.2" not in m for m in marks)  # a keyed hash, never the address
