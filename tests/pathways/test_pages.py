"""Pathway and cohort pages: admins define, staff follow, employers read; other colleges see nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from assertions.models import Assertion
from assertions.services import assertion_revoke
from badges.models import BadgeClass
from issuers.models import Membership, Role
from issuers.scoping import tenant_scope
from pathways.models import Cohort, Pathway, PathwayCompletion
from pathways.services import pathway_check
from tests.support import PASSWORD, issue_one, make_user


def _badge(tenant, issuer, name):
    out = io.BytesIO()
    Image.new("RGBA", (96, 96), (120, 40, 160, 255)).save(out, "PNG")
    b = BadgeClass(tenant=tenant, issuer=issuer, name=name, description=f"{name} description")
    b.image.save("b.png", ContentFile(out.getvalue()), save=False)
    b.save()
    return b


@pytest.fixture
def badges(tenant_a, issuer_a):
    with tenant_scope(tenant_a):
        return {n: _badge(tenant_a, issuer_a, n) for n in
                ("Health & Safety", "Food Hygiene", "First Aid", "Allergens", "Customer Service", "Hospitality Ready")}


@pytest.fixture
def defined(client, tenant_a, alice, badges):
    client.login(email=alice.email, password=PASSWORD)
    response = client.post("/t/college-a/pathways/new/", {
        "name": "Hospitality Ready", "description": "Ready for front of house.",
        "required": [badges["Health & Safety"].pk, badges["Food Hygiene"].pk],
        "group1_n": "2", "group1": [badges["First Aid"].pk, badges["Allergens"].pk, badges["Customer Service"].pk],
        "capstone": badges["Hospitality Ready"].pk,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_scope(tenant_a):
        return Pathway.objects.get()


def test_an_admin_defines_a_nested_pathway_in_the_form(defined, badges):
    b = {n: str(x.public_id) for n, x in badges.items()}
    assert defined.requirements == {"all": [  # badges in alphabetical order, as the form lists them
        {"badge": b["Food Hygiene"]}, {"badge": b["Health & Safety"]},
        {"n": 2, "of": [{"badge": b["Allergens"]}, {"badge": b["Customer Service"]}, {"badge": b["First Aid"]}]},
    ]}
    assert defined.capstone == badges["Hospitality Ready"]


def test_the_form_explains_what_is_wrong(client, tenant_a, alice, badges):
    client.login(email=alice.email, password=PASSWORD)
    response = client.post("/t/college-a/pathways/new/", {"name": "Empty"})
    assert b"Tick at least one badge" in response.content
    response = client.post("/t/college-a/pathways/new/", {"name": "Too many", "group1_n": "3",
                                                          "group1": [badges["First Aid"].pk]})
    assert b"Only 1 badges are ticked" in response.content
    response = client.post("/t/college-a/pathways/new/", {
        "name": "Circular", "required": [badges["First Aid"].pk], "capstone": badges["First Aid"].pk})
    assert b"cannot also be one of the requirements" in response.content


def test_a_cohort_pasted_or_uploaded_shows_its_progress(client, tenant_a, defined, badges):
    with tenant_scope(tenant_a):
        for name in ("Health & Safety", "Food Hygiene", "First Aid"):
            issue_one(badge_class=badges[name], recipient_identity="ann@example.org")
    response = client.post("/t/college-a/cohorts/", {"name": "L2 Catering", "emails": "Ann Lee <ann@example.org>\n"
                                                     "ben@example.org, Ben Ode\nnot-an-email"})
    assert response.status_code == 302
    with tenant_scope(tenant_a):
        cohort = Cohort.objects.get()
        assert sorted(cohort.members.values_list("email", flat=True)) == ["ann@example.org", "ben@example.org"]
    page = client.get(f"/t/college-a/cohorts/{cohort.public_id}/", {"pathway": str(defined.public_id)})
    text = page.content.decode()
    assert "Ann Lee" in text
    assert "2 of 3" in text  # H&S and Food Hygiene met; 1 of the 2 optional ones
    assert "0 of 3" in text
    upload = SimpleUploadedFile("cohort.csv", b"email,name\ncat@example.org,Cat Ray\n", content_type="text/csv")
    assert client.post("/t/college-a/cohorts/", {"name": "Evening class", "file": upload}).status_code == 302
    detail = client.get(f"/t/college-a/pathways/{defined.public_id}/", {"cohort": str(cohort.public_id)})
    assert "2 of 3" in detail.content.decode()


def test_a_flagged_completion_waits_for_the_admins_decision(client, tenant_a, defined, badges):
    with tenant_scope(tenant_a):
        for name in ("Health & Safety", "Food Hygiene", "First Aid", "Allergens"):
            issue_one(badge_class=badges[name], recipient_identity="ann@example.org")
        capstone = pathway_check(pathway=defined, identity="ann@example.org")
        from pathways.services import pathways_after_revoke

        food = Assertion.objects.get(badge_class=badges["Food Hygiene"])
        assertion_revoke(assertion=food, reason="Certificate forged")
        pathways_after_revoke(assertion=food)
        completion = PathwayCompletion.objects.get()
    page = client.get(f"/t/college-a/pathways/{defined.public_id}/")
    assert b"Needs your decision" in page.content
    assert b"Certificate forged" in page.content
    client.post(f"/t/college-a/pathways/completions/{completion.public_id}/resolve/", {"decision": "revoke"})
    with tenant_scope(tenant_a):
        capstone.refresh_from_db()
        assert capstone.revoked
        assert PathwayCompletion.objects.get().flagged_at is None


def test_the_public_pathway_page_shows_what_it_is_made_of_and_no_learners(client, tenant_a, defined, badges):
    with tenant_scope(tenant_a):
        issue_one(badge_class=badges["First Aid"], recipient_identity="secret.learner@example.org")
    client.logout()
    page = client.get(f"/pathways/{defined.public_id}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Hospitality Ready" in text
    assert "2 of (Allergens, Customer Service, First Aid)" in text
    assert "secret.learner" not in text
    assert client.get("/pathways/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_viewers_read_tutors_follow_and_other_colleges_get_404(client, tenant_a, tenant_b, defined, bob, charlie):
    viewer = make_user("governor@college-a.example")
    with tenant_scope(tenant_a):
        Membership.objects.create(tenant=tenant_a, user=viewer, role=Role.VIEWER)
    client.login(email=viewer.email, password=PASSWORD)
    assert client.get(f"/t/college-a/pathways/{defined.public_id}/").status_code == 200
    assert client.get("/t/college-a/pathways/new/").status_code == 403
    assert client.post("/t/college-a/cohorts/", {"name": "x", "emails": "a@b.example"}).status_code == 403
    client.login(email=bob.email, password=PASSWORD)  # a tutor may save cohorts
    assert client.post("/t/college-a/cohorts/", {"name": "x", "emails": "a@b.example"}).status_code == 302
    client.login(email=charlie.email, password=PASSWORD)
    assert client.get(f"/t/college-a/pathways/{defined.public_id}/").status_code == 404
    assert client.get(f"/t/college-b/pathways/{defined.public_id}/").status_code == 404


def test_a_finished_cohort_award_is_saved_as_a_cohort(client, tenant_a, alice, badges):
    from assertions.bulk import bulk_job_create, bulk_job_run, bulk_preview, rows_from_lines

    with tenant_scope(tenant_a):
        badge = badges["First Aid"]
        rows = rows_from_lines("Ann Lee <ann@example.org>\nben@example.org\nnot-an-email")
        job, _ = bulk_job_create(badge_class=badge, preview=bulk_preview(badge_class=badge, rows=rows),
                                 issue_now=False)
        bulk_job_run(job=job)
    client.login(email=alice.email, password=PASSWORD)
    page = client.get(f"/t/college-a/jobs/{job.public_id}/").content.decode()
    assert "Save as cohort" in page
    response = client.post(f"/t/college-a/cohorts/from-job/{job.public_id}/", {"name": "First Aid, Nov"})
    assert response.status_code == 302
    with tenant_scope(tenant_a):
        cohort = Cohort.objects.get(name="First Aid, Nov")
        assert sorted(cohort.members.values_list("email", "name")) == [("ann@example.org", "Ann Lee"),
                                                                      ("ben@example.org", "")]
