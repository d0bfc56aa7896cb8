"""The issuer's public revocation list (OB 2.0) reads only the revoked awards, from the partial index
``assertion_revoked`` (on revoked awards alone, holding what the list shows), never every award of the
issuer: EXPLAIN of the list's query names that index and no scan of the awards table."""

from __future__ import annotations

from django.db import connection

from assertions.documents import revocation_list_document
from assertions.models import Assertion
from assertions.services import Recipient, assertion_issue, assertion_revoke
from issuers.scoping import tenant_scope
from tests.support import postgresql_only


@postgresql_only("reads its query plan")
def test_the_revocation_list_reads_only_revoked_awards_through_the_partial_index(tenant_a, badge_a, alice):
    with tenant_scope(tenant_a):
        awards = assertion_issue(badge_class=badge_a, notify=False, actor=alice,
                                 recipients=[Recipient(identity=f"l{n}@example.org") for n in range(40)])
        assertion_revoke(assertion=awards[3], reason="Issued in error", actor=alice)
        doc = revocation_list_document(badge_a.issuer)
        assert [r["revocationReason"] for r in doc["revokedAssertions"]] == ["Issued in error"]
        query = Assertion.objects.filter(badge_class__issuer=badge_a.issuer, revoked=True).only(
            "public_id", "revocation_reason")
        with connection.cursor() as cursor:
            # A few test rows: a sequential scan is cheapest for the planner; with it off, the plan shows
            # which index answers the query (the 100,000-award bench database picks it unprompted).
            cursor.execute("ANALYZE assertions_assertion")
            cursor.execute("SET LOCAL enable_seqscan = off")
            plan = query.explain()
    # The partial index answers it (an index-only scan once VACUUM has marked the pages all-visible, which
    # a test's transaction cannot do); never a scan of every award of the college.
    assert "assertion_revoked" in plan, plan
    assert "Seq Scan on assertions_assertion" not in plan, plan
