"""Employer endorsements: asked by a college admin, answered by an outside organisation, withdrawable."""

from __future__ import annotations

import io
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from PIL import Image

from endorsements.documents import endorsement_document, endorsement_urls, endorser_document
from endorsements.models import Endorsement, EndorsementRequest
from endorsements.services import (
    endorsement_publish,
    endorsement_request_by_token,
    endorsement_request_create,
    endorsement_withdraw,
    endorser_profile_save,
)
from issuers.models import Membership, Role
from issuers.scoping import tenant_scope
from tests.support import PASSWORD, eager_tasks, make_user, png_bytes


@pytest.fixture
def acme(db):
    user = make_user("hr@acme-builders.example")
    endorser_profile_save(user=user, name="Acme Builders", url="https://acme-builders.example",
                          email="skills@acme-builders.example", logo=png_bytes(64))
    return user


def _ask(tenant, badge, email="hr@acme-builders.example", actor=None):
    with tenant_scope(tenant):
        return endorsement_request_create(badge_class=badge, email=email, actor=actor)


def test_an_endorser_answers_once_and_it_is_published_with_the_badge(tenant_a, badge, alice, acme):
    req, url = _ask(tenant_a, badge, actor=alice)
    token = url.rstrip("/").rsplit("/", 1)[1]
    found = endorsement_request_by_token(token)
    assert found.pk == req.pk
    endorsement = endorsement_publish(request=found, user=acme, comment="We hire people who hold this.")
    with tenant_scope(tenant_a):
        assert endorsement_urls(badge) == [f"http://127.0.0.1:8000/public/endorsements/{endorsement.public_id}"]
    with pytest.raises(ValidationError, match="expired or has already been used"):
        endorsement_publish(request=endorsement_request_by_token(token), user=acme, comment="Again")


def test_the_endorsement_and_profile_are_ob2_documents(tenant_a, badge, acme):
    req, _ = _ask(tenant_a, badge)
    endorsement = endorsement_publish(request=req, user=acme, comment="Valued by **Acme**.")
    doc = endorsement_document(endorsement)
    assert doc["type"] == "Endorsement"
    assert doc["claim"] == {"id": f"http://127.0.0.1:8000/public/badges/{badge.public_id}",
                            "endorsementComment": "Valued by **Acme**."}
    assert doc["issuer"].endswith(f"/public/endorsers/{endorsement.endorser.public_id}")
    assert doc["verification"] == {"type": "HostedBadge"}
    profile = endorser_document(endorsement.endorser)
    assert (profile["type"], profile["name"], profile["url"], profile["email"]) == (
        "Profile", "Acme Builders", "https://acme-builders.example", "skills@acme-builders.example")
    assert profile["image"].endswith("/image")


def test_a_forwarded_link_needs_the_invited_address_proven(tenant_a, badge, acme):
    req, _ = _ask(tenant_a, badge, email="boss@acme-builders.example")
    with pytest.raises(ValidationError, match="sent to boss@acme-builders.example"):
        endorsement_publish(request=req, user=acme, comment="Forwarded to me")
    EmailAddress.objects.create(user=acme, email="boss@acme-builders.example", verified=False)
    with pytest.raises(ValidationError, match="sent to boss@acme-builders.example"):
        endorsement_publish(request=req, user=acme, comment="Still unproven")


def test_a_suspended_college_gets_no_new_endorsement_and_the_endorser_is_told(tenant_a, badge, acme):
    from issuers.models import Tenant
    from issuers.services import tenant_set_status

    req, _ = _ask(tenant_a, badge)
    tenant_set_status(tenant=tenant_a, status=Tenant.Status.SUSPENDED)
    req.tenant.refresh_from_db()
    with pytest.raises(ValidationError, match="College A is suspended"):
        endorsement_publish(request=req, user=acme, comment="We hire people who hold this.")
    with tenant_scope(tenant_a):
        assert not Endorsement.objects.exists()


def test_withdrawing_removes_it_from_the_badge_and_marks_the_document(tenant_a, badge, acme, bob):
    req, _ = _ask(tenant_a, badge)
    endorsement = endorsement_publish(request=req, user=acme, comment="Yes.")
    with pytest.raises(PermissionDenied):
        endorsement_withdraw(endorsement=endorsement, user=bob)
    endorsement_withdraw(endorsement=endorsement, user=acme)
    with tenant_scope(tenant_a):
        assert endorsement_urls(badge) == []
    assert endorsement_document(endorsement)["revoked"] is True


def test_untrusted_logos_are_refused_or_reencoded(acme):
    with pytest.raises(ValidationError, match="not a readable image"):
        endorser_profile_save(user=acme, name="Acme", url="https://a.example", email="a@a.example",
                              logo=b"<svg onload=alert(1)>")
    out = io.BytesIO()
    Image.new("RGB", (64, 64)).save(out, "GIF")
    with pytest.raises(ValidationError, match="PNG or JPEG"):
        endorser_profile_save(user=acme, name="Acme", url="https://a.example", email="a@a.example",
                              logo=out.getvalue())


def test_another_college_cannot_ask_for_an_endorsement_of_my_badge(tenant_a, tenant_b, badge):
    with tenant_scope(tenant_b), pytest.raises(PermissionDenied):
        endorsement_request_create(badge_class=badge, email="x@y.example")


# --- Pages -------------------------------------------------------------------------------------------


def test_a_college_admin_asks_by_email_and_the_endorser_answers_in_the_browser(
        client, tenant_a, badge, alice, django_capture_on_commit_callbacks):

    with eager_tasks():
        client.login(email=alice.email, password=PASSWORD)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/t/college-a/endorsements/", {
                "badge_class": badge.pk, "email": "hr@acme.example", "message": "Would you endorse this?"})
        assert response.status_code == 302
    (message,) = mail.outbox
    assert "Site Safety" in message.subject
    link = re.search(r"http://127\.0\.0\.1:8000(/endorse/[^\s]+/)", message.body).group(1)

    client.logout()
    assert client.get(link).status_code == 302  # sign in (or up) first
    make_user("hr@acme.example")
    client.login(email="hr@acme.example", password=PASSWORD)
    page = client.get(link)
    assert b"Set up the profile" in page.content
    response = client.post(f"/endorser/?next={link}", {"name": "Acme", "url": "https://acme.example",
                                                      "email": "jobs@acme.example", "next": link})
    assert response["Location"] == link
    response = client.post(link, {"comment": "Our site managers trust this badge."})
    assert response.status_code == 302

    with tenant_scope(tenant_a):
        endorsement = Endorsement.objects.get()
        assert endorsement.endorser.name == "Acme"
        assert EndorsementRequest.objects.get().accepted_at is not None
    assert b"Site Safety" in client.get("/endorser/").content


def test_endorsement_pages_refuse_viewers_writes_and_outsiders(client, tenant_a, tenant_b, badge, charlie, bob):
    viewer = make_user("viewer@college-a.example")
    with tenant_scope(tenant_a):
        Membership.objects.create(tenant=tenant_a, user=viewer, role=Role.VIEWER)
    client.login(email=viewer.email, password=PASSWORD)
    assert client.get("/t/college-a/endorsements/").status_code == 200
    assert client.post("/t/college-a/endorsements/", {"badge_class": badge.pk, "email": "a@b.example"}
                       ).status_code == 403
    client.login(email=bob.email, password=PASSWORD)  # a tutor: not this page
    assert client.get("/t/college-a/endorsements/").status_code == 403
    client.login(email=charlie.email, password=PASSWORD)
    assert client.get("/t/college-a/endorsements/").status_code == 404


def test_an_endorser_cannot_withdraw_someone_elses_endorsement(client, tenant_a, badge, acme):
    req, _ = _ask(tenant_a, badge)
    endorsement = endorsement_publish(request=req, user=acme, comment="Yes.")
    other = make_user("other@rival.example")
    client.login(email=other.email, password=PASSWORD)
    assert client.post(f"/endorser/endorsements/{endorsement.public_id}/withdraw/").status_code == 404
    endorsement.refresh_from_db()
    assert endorsement.withdrawn_at is None
    assert client.get("/endorse/not-a-real-token/").status_code == 404
