"""Capstones: awarded once, by the worker, through the one issuing service; flagged, not revoked."""

from __future__ import annotations

import threading

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection

from assertions.events import ANNOUNCED
from assertions.models import Assertion
from assertions.services import Recipient, assertion_issue, assertion_revoke
from badges.models import BadgeClass
from issuers.models import AuditEntry
from issuers.scoping import tenant_scope
from pathways.models import Pathway, PathwayCompletion
from pathways.services import pathway_check, pathway_create, pathway_progress, pathway_retro_award
from tests.support import issue_one, make_user, nothing_registered, png_bytes

NAMES = ["Health & Safety", "Food Hygiene", "First Aid", "Allergen Awareness", "Customer Service",
         "Hospitality Ready"]


def _badge(tenant, issuer, name):
    b = BadgeClass(tenant=tenant, issuer=issuer, name=name, description=name)
    b.image.save("b.png", ContentFile(png_bytes()), save=False)
    b.save()
    return b


@pytest.fixture
def hospitality(tenant_a, issuer_a, alice):
    """Health & Safety AND Food Hygiene AND 2 of {First Aid, Allergens, Customer Service} → Hospitality Ready."""
    with tenant_scope(tenant_a):
        hs, food, aid, allergen, service, capstone = (_badge(tenant_a, issuer_a, n) for n in NAMES)
        tree = {"all": [{"badge": str(hs.public_id)}, {"badge": str(food.public_id)},
                        {"n": 2, "of": [{"badge": str(b.public_id)} for b in (aid, allergen, service)]}]}
        pathway = pathway_create(tenant=tenant_a, name="Hospitality Ready", tree=tree, capstone=capstone,
                                 actor=alice, retro_award=False)
    return pathway, (hs, food, aid, allergen, service), capstone


def _award(tenant, badges, email):
    with tenant_scope(tenant):
        for b in badges:
            issue_one(badge_class=b, recipient_identity=email, recipient_name="Lee Ann")


def _capstones(tenant, capstone):
    with tenant_scope(tenant):
        return list(Assertion.objects.filter(badge_class=capstone))


@pytest.mark.django_db(transaction=True)
def test_the_last_required_award_brings_the_capstone_once(tenant_a, hospitality, eager):
    pathway, (hs, food, aid, allergen, service), capstone = hospitality
    _award(tenant_a, [hs, food, aid], "lee@example.org")
    assert _capstones(tenant_a, capstone) == []
    with tenant_scope(tenant_a):
        assert pathway_progress(pathway=pathway, identity="lee@example.org").done == 2
    _award(tenant_a, [allergen], "lee@example.org")
    (award,) = _capstones(tenant_a, capstone)
    assert award.recipient_identity == "lee@example.org"
    assert award.recipient_name == "Lee Ann"
    assert (award.bake_status, award.email_status) == ("done", "sent")  # baked and emailed like any award
    _award(tenant_a, [service], "lee@example.org")  # a third optional badge changes nothing
    assert len(_capstones(tenant_a, capstone)) == 1
    with tenant_scope(tenant_a):
        assert AuditEntry.objects.filter(object_id=str(award.public_id), actor_label="pathway Hospitality Ready")


@pytest.mark.django_db(transaction=True)
def test_badges_sent_to_any_verified_address_of_a_learner_count_together(tenant_a, hospitality, eager):
    pathway, (hs, food, aid, allergen, _), capstone = hospitality
    lee = make_user("lee@home.example")  # primary, verified
    EmailAddress.objects.create(user=lee, email="lee@college.example", verified=True, primary=False)
    _award(tenant_a, [hs, food], "lee@college.example")
    _award(tenant_a, [aid, allergen], "lee@home.example")
    (award,) = _capstones(tenant_a, capstone)
    assert award.recipient_identity == "lee@home.example"


@pytest.mark.django_db(transaction=True)
def test_an_unverified_address_does_not_pool_badges(tenant_a, hospitality, eager):
    pathway, (hs, food, aid, allergen, _), capstone = hospitality
    lee = make_user("lee@home.example")
    EmailAddress.objects.create(user=lee, email="someone@else.example", verified=False, primary=False)
    _award(tenant_a, [hs, food], "someone@else.example")
    _award(tenant_a, [aid, allergen], "lee@home.example")
    assert _capstones(tenant_a, capstone) == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_checks_award_the_capstone_exactly_once(tenant_a, hospitality):
    pathway, (hs, food, aid, allergen, _), capstone = hospitality
    _award(tenant_a, [hs, food, aid, allergen], "lee@example.org")  # not eager: nobody checked yet
    barrier = threading.Barrier(4)
    results, errors = [], []

    def check():
        try:
            barrier.wait()
            with tenant_scope(tenant_a):
                results.append(pathway_check(pathway=pathway, identity="lee@example.org"))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=check) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # SQLite may refuse a concurrent writer outright ("database is locked"); no thread may award twice.
    assert all("locked" in str(e) for e in errors), errors
    assert len([r for r in results if r is not None]) == 1
    assert len(_capstones(tenant_a, capstone)) == 1
    with tenant_scope(tenant_a):
        assert PathwayCompletion.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_revoking_a_required_badge_flags_the_capstone_for_the_admin(tenant_a, hospitality, eager):
    pathway, (hs, food, aid, allergen, _), capstone = hospitality
    _award(tenant_a, [hs, food, aid, allergen], "lee@example.org")
    with tenant_scope(tenant_a):
        food_award = Assertion.objects.get(badge_class=food)
        assertion_revoke(assertion=food_award, reason="Assessment irregularity")
        completion = PathwayCompletion.objects.get()
        assert completion.flagged_at is not None
        assert "Food Hygiene was revoked" in completion.flag_reason
        assert not Assertion.objects.get(badge_class=capstone).revoked


def test_existing_awards_count_when_a_pathway_is_defined_later(tenant_a, issuer_a, alice):
    with tenant_scope(tenant_a):
        a, b, capstone = (_badge(tenant_a, issuer_a, n) for n in ("Knife Skills", "Pastry", "Commis Chef"))
        assertion_issue(badge_class=a, recipients=[Recipient(identity=f"p{i}@example.org") for i in range(5)])
        assertion_issue(badge_class=b, recipients=[Recipient(identity=f"p{i}@example.org") for i in range(3)])
        issue_one(badge_class=capstone, recipient_identity="p0@example.org")  # awarded by hand before
        pathway = pathway_create(tenant=tenant_a, name="Commis", capstone=capstone, actor=alice, retro_award=False,
                                 tree={"all": [{"badge": str(a.public_id)}, {"badge": str(b.public_id)}]})
        pathway = pathway_retro_award(pathway=pathway)
        # Only p0-p2 hold both badges: p3 and p4 (one badge) are not candidates, so not checked one by one.
        assert (pathway.retro_status, pathway.retro_total, pathway.retro_done, pathway.retro_awarded) == (
            "done", 3, 3, 2)
        holders = sorted(Assertion.objects.filter(badge_class=capstone).values_list("recipient_identity", flat=True))
        assert holders == ["p0@example.org", "p1@example.org", "p2@example.org"]
        pathway_retro_award(pathway=pathway)  # running it again awards nothing more
        assert Assertion.objects.filter(badge_class=capstone).count() == 3


def test_a_newer_version_of_a_required_badge_counts(tenant_a, issuer_a, alice):
    from badges.services import badge_class_update

    with tenant_scope(tenant_a):
        a, capstone = _badge(tenant_a, issuer_a, "Knife Skills"), _badge(tenant_a, issuer_a, "Commis")
        issue_one(badge_class=a, recipient_identity="old@example.org")
        pathway = pathway_create(tenant=tenant_a, name="Commis", capstone=capstone, retro_award=False,
                                 tree={"badge": str(a.public_id)})
        newer = badge_class_update(badge_class=a, description="Knife skills, revised criteria.")
        assert newer.pk != a.pk
        issue_one(badge_class=newer, recipient_identity="new@example.org")
        assert pathway_check(pathway=pathway, identity="new@example.org") is not None
        assert pathway_check(pathway=pathway, identity="old@example.org") is not None


def test_a_pathway_cannot_name_another_colleges_badge(tenant_a, tenant_b, issuer_a, charlie):
    from issuers.services import issuer_create

    with tenant_scope(tenant_b):
        issuer_b = issuer_create(tenant=tenant_b, name="B", url="https://b.example", email="b@b.example")
        foreign = _badge(tenant_b, issuer_b, "Theirs")
    with tenant_scope(tenant_a):
        with pytest.raises(ValidationError, match="not badges of College A"):
            pathway_create(tenant=tenant_a, name="P", tree={"badge": str(foreign.public_id)}, retro_award=False)
        mine = _badge(tenant_a, issuer_a, "Mine")
        with pytest.raises(ValidationError, match="capstone must be a badge of this college"):
            pathway_create(tenant=tenant_a, name="P", tree={"badge": str(mine.public_id)}, capstone=foreign,
                           retro_award=False)


def test_another_college_cannot_see_a_pathway(tenant_a, tenant_b, hospitality):
    with tenant_scope(tenant_b):
        assert not Pathway.objects.exists()
    with tenant_scope(tenant_a):
        assert Pathway.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_nightly_reconcile_awards_what_was_missed(tenant_a, hospitality, eager):
    from pathways.tasks import pathways_reconcile

    pathway, (hs, food, aid, allergen, _), capstone = hospitality
    with nothing_registered(ANNOUNCED["issued"]):  # as if the broker lost the "issued" messages
        _award(tenant_a, [hs, food, aid, allergen], "lee@example.org")
    assert _capstones(tenant_a, capstone) == []
    assert pathways_reconcile.delay().get() == 1
    assert len(_capstones(tenant_a, capstone)) == 1
