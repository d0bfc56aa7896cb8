"""Every page that lists or counts awards makes as many queries with 30 awards as with 3: nothing
is read per award (the kept tallies count, one query reads a page of awards)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backpack.services import assertion_claim
from issuers.scoping import tenant_scope
from issuers.services import api_key_create
from tests.support import issue_one, make_user
from tests.support.api import Api

LEARNER = "robin@example.org"


def _queries(client, path: str) -> int:
    client.get(path)  # the first request fills the caches (session, site, tenant branding)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200, (path, response.status_code)
    return len(queries)


def _award(tenant, badge, learner, upto: int) -> None:
    """Bring the badge to ``upto`` awards; every third is the learner's, claimed into the backpack."""
    with tenant_scope(tenant):
        have = badge.assertions.count()
        for n in range(have, upto):
            if n % 3 == 0:
                award = issue_one(badge_class=badge, recipient_identity=LEARNER, recipient_name="Robin")
                assertion_claim(assertion=award, user=learner)
            else:
                issue_one(badge_class=badge, recipient_identity=f"l{n}@example.org", recipient_name=f"Learner {n}")


@pytest.mark.parametrize("page", ["dashboard", "badge", "badge search", "award search", "outcomes", "outcomes csv",
                                  "audit log", "api list", "api list by badge", "backpack"])
def test_a_page_makes_the_same_queries_with_3_and_with_30_awards(page, client, tenant_a, badge_a, alice):
    learner = make_user(LEARNER)
    slug, badge = tenant_a.slug, badge_a.public_id
    paths = {
        "dashboard": ("staff", f"/t/{slug}/"),
        "badge": ("staff", f"/t/{slug}/badges/{badge}/"),
        "badge search": ("staff", f"/t/{slug}/?q=safe"),
        "award search": ("staff", f"/t/{slug}/badges/{badge}/?q=learner"),
        "outcomes": ("staff", f"/t/{slug}/outcomes/"),
        "outcomes csv": ("staff", f"/t/{slug}/outcomes/?format=csv"),
        "audit log": ("staff", f"/t/{slug}/audit/"),
        "api list": ("api", "/api/v1/assertions/"),
        "api list by badge": ("api", f"/api/v1/assertions/?badge_class={badge}"),
        "backpack": ("learner", "/backpack/"),
    }
    who, path = paths[page]
    if who == "api":
        with tenant_scope(tenant_a):
            _, secret = api_key_create(tenant=tenant_a, name="MIS", actor=alice)
        api = Api(client, secret)
        measure = lambda: _queries(api, path)  # noqa: E731
    else:
        client.force_login(alice if who == "staff" else learner)
        measure = lambda: _queries(client, path)  # noqa: E731
    _award(tenant_a, badge_a, learner, 3)
    with_3 = measure()
    _award(tenant_a, badge_a, learner, 30)
    assert measure() == with_3


def test_a_single_award_through_the_api_makes_a_fixed_set_of_statements(client, tenant_a, badge_a, alice):
    """The badge class with its issuer, then in one transaction: the duplicate-holder check, and one statement
    writing the email row, the award, its tally, its audit entry and its announcement (issuers.rows.RowWrites;
    they were five). Nothing else: the key and its tenant were read by the first call and are remembered by the
    process (issuers.keycache), and the follow-up work (bake, email, the layers above) is one message after
    the commit."""
    with tenant_scope(tenant_a):
        _, secret = api_key_create(tenant=tenant_a, name="MIS", actor=alice)
    api = Api(client, secret)
    url = f"/api/v1/badgeclasses/{badge_a.public_id}/assertions/"
    assert api.post(url, {"recipient_email": "first@example.org"}).status_code == 201  # warms the caches
    with CaptureQueriesContext(connection) as queries:
        response = api.post(url, {"recipient_email": "second@example.org", "recipient_name": "Sam"})
    assert response.status_code == 201, response.content
    sql = [q["sql"] for q in queries.captured_queries
           if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]  # the test's own transaction
    writes = ["issuers_outboxemail", "assertions_assertion", "assertions_awardtally", "issuers_auditentry",
              "assertions_announcement"]
    if connection.vendor != "postgresql":  # SQLite (make run's embedded default): one INSERT each
        assert [_statement(s) for s in sql] == [
            "SELECT badges_badgeclass", "SELECT assertions_assertion", *[f"INSERT {table}" for table in writes]], sql
        return
    assert [_statement(s) for s in sql] == [
        "SELECT badges_badgeclass", "SELECT assertions_assertion", "WITH issuers_outboxemail"], sql
    assert re.findall(r'INSERT INTO "?(\w+)', sql[2]) == writes


def _statement(sql: str) -> str:
    """``SELECT issuers_apikey``: the statement's verb and the first table it names."""
    table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)', sql)
    return f"{sql.split()[0]} {table.group(1) if table else ''}"
