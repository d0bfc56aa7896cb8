"""The nightly pathway reconcile costs what it has to do: learners who cannot complete a pathway (too
few of its badges), or completed it already, are never checked one by one, and the nightly run looks
only at learners awarded since its look-back; an account's addresses still add up."""

from __future__ import annotations

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assertions.models import Assertion
from assertions.services import Recipient, assertion_issue
from badges.models import BadgeClass
from issuers.scoping import tenant_scope
from pathways.models import Pathway, PathwayCompletion
from pathways.requirements import fewest_badges
from pathways.services import pathway_create, pathway_retro_award
from tests.support import make_user, png_bytes


def _badge(tenant, issuer, name):
    badge = BadgeClass(tenant=tenant, issuer=issuer, name=name, description=name)
    badge.image.save("b.png", ContentFile(png_bytes()), save=False)
    badge.save()
    return badge


def _issue(badge, emails):
    assertion_issue(badge_class=badge, notify=False, recipients=[Recipient(identity=e) for e in emails])


def _queries(pathway, **kw) -> int:
    with CaptureQueriesContext(connection) as queries:
        pathway_retro_award(pathway=pathway, **kw)
    return len(queries)


def test_learners_who_cannot_complete_or_have_completed_cost_no_queries(tenant_a, issuer_a, alice):
    with tenant_scope(tenant_a):
        a, b, capstone = (_badge(tenant_a, issuer_a, n) for n in ("Knife Skills", "Pastry", "Commis Chef"))
        pathway = pathway_create(tenant=tenant_a, name="Commis", capstone=capstone, actor=alice, retro_award=False,
                                 tree={"all": [{"badge": str(a.public_id)}, {"badge": str(b.public_id)}]})
        _issue(a, ["both@example.org", "one0@example.org"])
        _issue(b, ["both@example.org"])
        pathway_retro_award(pathway=pathway)  # both@ completes
        assert PathwayCompletion.objects.count() == 1
        few = _queries(pathway)
        _issue(a, [f"one{n}@example.org" for n in range(1, 30)])  # 29 more who hold one badge of two
        _issue(b, [f"done{n}@example.org" for n in range(10)])
        _issue(a, [f"done{n}@example.org" for n in range(10)])
        pathway_retro_award(pathway=pathway)  # ten more complete
        assert PathwayCompletion.objects.count() == 11
        assert _queries(pathway) == few  # nothing more to check: no more queries


def test_the_nightly_run_looks_only_at_recent_awards_and_an_accounts_addresses_add_up(tenant_a, issuer_a, alice):
    with tenant_scope(tenant_a):
        a, b, capstone = (_badge(tenant_a, issuer_a, n) for n in ("Knife Skills", "Pastry", "Commis Chef"))
        pathway = pathway_create(tenant=tenant_a, name="Commis", capstone=capstone, actor=alice, retro_award=False,
                                 tree={"all": [{"badge": str(a.public_id)}, {"badge": str(b.public_id)}]})
        _issue(a, ["old@example.org"])
        _issue(b, ["old@example.org"])
        Assertion.objects.filter(recipient_identity="old@example.org").update(
            created_at=timezone.now() - timedelta(days=5))
        # One learner, two verified addresses, one badge on each.
        lee = make_user("lee@example.org")
        EmailAddress.objects.create(user=lee, email="Lee.Work@Example.org", verified=True)
        _issue(a, ["lee@example.org"])
        _issue(b, ["lee.work@example.org"])
        since = timezone.now() - timedelta(days=2)
        assert pathway_retro_award(pathway=pathway, since=since).retro_awarded == 1  # lee, not old@
        assert PathwayCompletion.objects.get().learner_key == f"user:{lee.pk}"
        assert pathway_retro_award(pathway=pathway).retro_awarded == 1  # the full run finds old@
        assert pathway_retro_award(pathway=pathway, since=since).retro_total == 0  # all done: none checked


def test_fewest_badges_of_a_requirement_tree():
    assert fewest_badges({"badge": "x"}) == 1
    assert fewest_badges({"all": [{"badge": "x"}, {"badge": "y"}]}) == 2
    assert fewest_badges({"n": 1, "of": [{"all": [{"badge": "x"}, {"badge": "y"}]}, {"badge": "z"}]}) == 1
    assert fewest_badges({"all": [{"badge": "w"}, {"n": 2, "of": [{"badge": "x"}, {"badge": "y"},
                                                                  {"badge": "z"}]}]}) == 3


def test_a_cohorts_checks_and_a_pathways_capstones_cost_the_same_queries_for_10_or_40_learners(
        tenant_a, issuer_a, alice):
    """The checks after a cohort's awards look at the learners who may complete only (a new learner holding
    one badge of two costs nothing), and the learners due a capstone are read and awarded together."""
    from pathways.services import pathways_after_issue

    with tenant_scope(tenant_a):
        a, b, capstone = (_badge(tenant_a, issuer_a, n) for n in ("Knife Skills", "Pastry", "Commis Chef"))
        pathway = pathway_create(tenant=tenant_a, name="Commis", capstone=capstone, actor=alice, retro_award=False,
                                 tree={"all": [{"badge": str(a.public_id)}, {"badge": str(b.public_id)}]})
        counts = []
        for size, round_ in ((10, "x"), (40, "y")):
            emails = [f"{round_}{n}@example.org" for n in range(size)]
            assertion_issue(badge_class=a, notify=False, recipients=[Recipient(identity=e, name=f"Learner {e[:3]}")
                                                                     for e in emails])
            cohort = list(Assertion.objects.filter(recipient_identity__in=emails).values_list("pk", flat=True))
            with CaptureQueriesContext(connection) as one_badge:
                assert pathways_after_issue(assertion_ids=cohort) == 0  # one badge of two: nobody checked
            _issue(b, emails)
            pathway = Pathway.objects.get(pk=pathway.pk)  # as the worker's task reads it
            with CaptureQueriesContext(connection) as due:
                assert pathway_retro_award(pathway=pathway).retro_awarded == size
            counts.append((len(one_badge), len(due)))
        assert counts[1][0] == counts[0][0]
        # SQLite (the embedded default) splits the issuing service's bulk inserts by its variable limit.
        slack = 0 if connection.vendor == "postgresql" else 2
        assert counts[0][1] <= counts[1][1] <= counts[0][1] + slack
        awarded = Assertion.objects.filter(badge_class=capstone)
        assert awarded.count() == 50
        assert awarded.get(recipient_identity="y7@example.org").recipient_name == "Learner y7@"
        assert PathwayCompletion.objects.filter(pathway=pathway, capstone__isnull=False).count() == 50
