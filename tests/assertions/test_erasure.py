"""A college admin acts on a learner's erasure request: every award of the college to the address is
withdrawn (still verifiable, as revoked "withdrawn at the learner's request", the learner's details
gone) or deleted (its public URLs then answer 410 Gone, saying why). Audited; admins of this college only."""

from __future__ import annotations

import pytest

from assertions.models import Assertion
from assertions.services import WITHDRAWN_AT_REQUEST
from issuers.models import AuditEntry, OutboxEmail
from issuers.scoping import tenant_scope, unscoped
from tests.support import issue_one

pytestmark = pytest.mark.django_db
LEARNER = "ann@example.org"


@pytest.fixture
def awards(tenant_a, badge_a, badge_b, tenant_b):
    with tenant_scope(tenant_a):
        ours = [issue_one(badge_class=badge_a, recipient_identity=LEARNER, recipient_name="Ann Smith",
                          narrative="Built a wall.", evidence=[{"url": "https://ann.example/wall"}]),
                issue_one(badge_class=badge_a, recipient_identity="someone.else@example.org")]
    with tenant_scope(tenant_b):
        theirs = issue_one(badge_class=badge_b, recipient_identity=LEARNER)
    return ours, theirs


def _erase(client, tenant, action: str, confirm: bool = True):
    data = {"email": LEARNER, "action": action, **({"confirm": "on"} if confirm else {})}
    return client.post(f"/t/{tenant.slug}/erasure/", data, follow=True)


def test_the_admin_finds_the_learners_awards_at_this_college_only(client, alice, tenant_a, awards):
    client.force_login(alice)
    page = client.get(f"/t/{tenant_a.slug}/erasure/", {"email": LEARNER})
    assert [a.pk for a in page.context["awards"]] == [awards[0][0].pk]


def test_withdrawn_awards_stay_verifiable_as_revoked_without_the_learners_details(
        client, alice, tenant_a, tenant_b, awards, django_capture_on_commit_callbacks):
    (ann, other), theirs = awards
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = _erase(client, tenant_a, "withdraw")
    assert "1 award withdrawn." in response.content.decode()
    with tenant_scope(tenant_a):
        ann.refresh_from_db()
        other.refresh_from_db()
        entries = list(AuditEntry.objects.filter(object_id=str(ann.public_id)).order_by("id"))
    assert (ann.revoked, ann.revocation_reason) == (True, WITHDRAWN_AT_REQUEST)
    assert (ann.recipient_name, ann.narrative, ann.evidence) == ("", "", [])
    assert not other.revoked
    public = client.get(f"/public/assertions/{ann.public_id}", headers={"Accept": "application/ld+json"})
    assert public.status_code == 410
    assert (public.json()["revoked"], public.json()["revocationReason"]) == (True, WITHDRAWN_AT_REQUEST)
    assert [e.action for e in entries][-2:] == ["assertion.erase_withdraw", "assertion.revoke"]
    with tenant_scope(tenant_b):
        theirs.refresh_from_db()
    assert not theirs.revoked  # another college's record is that college's to act on


def test_deleted_awards_go_with_their_email_and_their_urls_answer_410_saying_why(
        client, alice, tenant_a, awards, django_capture_on_commit_callbacks):
    (ann, _), _ = awards
    with tenant_scope(tenant_a):
        mail_id = ann.mail_id
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = _erase(client, tenant_a, "delete")
    assert "1 award deleted." in response.content.decode()
    with tenant_scope(tenant_a):
        assert not Assertion.objects.filter(pk=ann.pk).exists()
        (entry,) = AuditEntry.objects.filter(action="assertion.erase_delete")
    with unscoped("test: the outbox row of the deleted award"):
        assert not OutboxEmail.objects.filter(pk=mail_id).exists()
    assert entry.learner == "a•••@example.org"
    gone = client.get(f"/public/assertions/{ann.public_id}", headers={"Accept": "application/json"})
    assert gone.status_code == 410
    assert "deleted it at the learner's request" in gone.json()["detail"]
    page = client.get(f"/public/assertions/{ann.public_id}", headers={"Accept": "text/html"})
    assert page.status_code == 410
    assert "deleted it at the learner&#x27;s request" in page.content.decode()


def test_nothing_happens_without_a_choice_and_a_confirmation(client, alice, tenant_a, awards):
    (ann, _), _ = awards
    client.force_login(alice)
    response = _erase(client, tenant_a, "delete", confirm=False)
    assert "confirm it is the learner" in response.content.decode()
    with tenant_scope(tenant_a):
        assert Assertion.objects.filter(pk=ann.pk, revoked=False).exists()


def test_only_this_colleges_admins_may_act_on_an_erasure_request(client, bob, charlie, viewer, limited, tenant_a,
                                                                  awards):
    (ann, _), _ = awards
    for user in (charlie, bob, viewer, limited):
        client.force_login(user)
        assert client.get(f"/t/{tenant_a.slug}/erasure/", {"email": LEARNER}).status_code == 404
        assert _erase(client, tenant_a, "delete").status_code == 404
    with tenant_scope(tenant_a):
        assert Assertion.objects.filter(pk=ann.pk, revoked=False).exists()


def test_a_deleted_awards_two_baked_images_are_deleted_from_storage(client, alice, tenant_a, awards,
                                                                    django_capture_on_commit_callbacks):
    from django.core.files.storage import default_storage

    from assertions.pipeline import bake_pending
    from credentials.models import IssuedCredential

    (ann, _), _ = awards
    with tenant_scope(tenant_a):
        bake_pending([ann.pk])
        ann.refresh_from_db()
        ob3 = IssuedCredential.objects.get(assertion=ann).baked_image.name
    names = [ann.baked_image.name, ob3]
    assert all(names)
    assert all(default_storage.exists(name) for name in names)
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        assert "1 award deleted." in _erase(client, tenant_a, "delete").content.decode()
    assert [name for name in names if default_storage.exists(name)] == []  # the OB 3.0 image went too
