"""Learners see how far they are towards each pathway; LinkedIn adds are counted for the college."""

from __future__ import annotations

from allauth.account.models import EmailAddress

from backpack import services
from insights.models import DailyCount
from issuers.scoping import tenant_scope
from pathways.services import pathway_create
from tests.support import PASSWORD, eager_tasks, issue_one, make_user


def test_the_backpack_shows_progress_towards_a_pathway(client, tenant_a, badge_a, issuer_a):
    from badges.models import BadgeClass

    with tenant_scope(tenant_a):
        other = BadgeClass.objects.create(tenant=tenant_a, issuer=issuer_a, name="Second Step", description="x",
                                          image=badge_a.image.name)
        third = BadgeClass.objects.create(tenant=tenant_a, issuer=issuer_a, name="Third Step", description="x",
                                          image=badge_a.image.name)
        pathway_create(tenant=tenant_a, name="Site Ready", retro_award=False, tree={"all": [
            {"badge": str(badge_a.public_id)}, {"badge": str(other.public_id)}, {"badge": str(third.public_id)}]})
        issue_one(badge_class=badge_a, recipient_identity="lee@home.example")
        issue_one(badge_class=other, recipient_identity="lee@college.example")
    lee = make_user("lee@home.example")
    EmailAddress.objects.create(user=lee, email="lee@college.example", verified=True)
    client.login(email=lee.email, password=PASSWORD)
    text = client.get("/backpack/").content.decode()
    assert "2 of 3</strong> towards" in text
    assert "Site Ready" in text
    stranger = make_user("someone@else.example")
    client.login(email=stranger.email, password=PASSWORD)
    assert "Site Ready" not in client.get("/backpack/").content.decode()


def test_a_learner_without_a_college_lands_in_their_backpack(client, db):
    lee = make_user("lee@home.example")
    client.login(email=lee.email, password=PASSWORD)
    assert client.get("/")["Location"] == "/backpack/"


def test_following_add_to_linkedin_is_counted_for_the_college(client, tenant_a, badge_a, settings):

    with tenant_scope(tenant_a):
        award = issue_one(badge_class=badge_a, recipient_identity="lee@home.example")
    lee = make_user("lee@home.example")
    entry = services.assertion_claim(assertion=award, user=lee)
    client.login(email=lee.email, password=PASSWORD)
    page = client.get(f"/backpack/badges/{entry.public_id}/").content.decode()
    assert 'data-count="/backpack/badges/' in page
    with eager_tasks():
        response = client.post(f"/backpack/badges/{entry.public_id}/action/", {"action": "linkedin"})
    assert response.status_code == 204
    with tenant_scope(tenant_a):
        assert DailyCount.objects.get(kind="linkedin").count == 1
