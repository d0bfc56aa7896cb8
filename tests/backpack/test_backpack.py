"""The backpack: every badge of every verified address from every college, its page, downloads, the
certificate, expiry reminders and deleting the account."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assertions.models import Assertion
from assertions.services import assertion_revoke
from backpack import services
from backpack.models import BackpackEntry, Collection, ExpiryReminder
from backpack.tasks import expiry_reminders_send
from issuers.dates import shown_day
from issuers.models import OutboxEmail
from issuers.outbox import ACCOUNT
from issuers.scoping import tenant_scope
from tests.support import PASSWORD, emails_sent, postgresql_only
from tests.support.learners import LEARNER, award
from verification.baked import read_baked
from verification.verifier import verify


def _names(response) -> list[str]:
    return sorted(i.name for i in response.context["items"])


def test_backpack_holds_badges_of_every_verified_address_from_two_colleges(client, learner, badge_a, badge_b):
    award(badge_a)
    award(badge_b, "lee.work@employer.example")
    award(badge_b, "lee.old@school.example")
    award(badge_a, "someone.else@example.org")
    EmailAddress.objects.create(user=learner, email="lee.work@employer.example", verified=True)
    EmailAddress.objects.create(user=learner, email="lee.old@school.example", verified=False)
    client.force_login(learner)
    response = client.get("/backpack/")
    assert response.status_code == 200
    # The unverified address's badge and another learner's badge are not shown.
    assert _names(response) == ["Copper Pipework", "Safe Scaffolding"]
    assert {i.issuer_name for i in response.context["items"]} == {"College A Construction", "College B Plumbing"}


def test_search_finds_badges_by_name_or_college(client, learner, badge_a, badge_b):
    award(badge_a)
    award(badge_b)
    client.force_login(learner)
    assert _names(client.get("/backpack/?q=copper")) == ["Copper Pipework"]
    assert _names(client.get("/backpack/?q=college a")) == ["Safe Scaffolding"]
    assert b"No badges match" in client.get("/backpack/?q=zzz").content


def test_revoked_and_expired_badges_are_shown_plainly(client, learner, badge_a, badge_b):
    revoked = award(badge_a)
    with tenant_scope(revoked.tenant):
        assertion_revoke(assertion=revoked, reason="Issued in error")
    award(badge_b, issued_on=timezone.now() - timedelta(days=30), expires=timezone.now() - timedelta(days=1))
    client.force_login(learner)
    response = client.get("/backpack/")
    assert {i.name: i.status_label for i in response.context["items"]} == {
        "Safe Scaffolding": "Revoked", "Copper Pipework": "Expired"}
    assert b"Revoked" in response.content
    assert b"Expired" in response.content


def test_badge_page_shows_criteria_competencies_evidence_and_narrative(client, learner, badge_a):
    award(badge_a, evidence=[{"id": "https://portfolio.example/tower", "narrative": "Photos of the tower"}],
          narrative="Built a four-lift tower on site.")
    client.force_login(learner)
    client.get("/backpack/")
    entry = BackpackEntry.objects.get(user=learner)
    html = client.get(f"/backpack/badges/{entry.public_id}/").content.decode()
    assert "Builds a tower." in html
    assert "CSCS Level 1" in html
    assert "https://portfolio.example/tower" in html
    assert "Photos of the tower" in html
    assert "Built a four-lift tower on site." in html


def test_downloaded_baked_image_carries_the_assertion(client, learner, badge_a):
    a = award(badge_a)
    client.force_login(learner)
    client.get("/backpack/")
    entry = BackpackEntry.objects.get(user=learner)
    response = client.get(f"/backpack/badges/{entry.public_id}/download/image/")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="safe-scaffolding.png"'
    payload = json.loads(read_baked(response.content))
    assert payload["id"] == f"http://127.0.0.1:8000/public/assertions/{a.public_id}"
    doc = client.get(f"/backpack/badges/{entry.public_id}/download/json/").json()
    assert doc == payload


def test_zip_holds_every_baked_image_and_its_json(client, learner, badge_a, badge_b):
    a = award(badge_a)
    b = award(badge_b)
    client.force_login(learner)
    response = client.get("/backpack/export/")
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        names = sorted(zf.namelist())
        assert names == ["copper-pipework/assertion.json", "copper-pipework/badge.json",
                         "copper-pipework/copper-pipework-ob3.png", "copper-pipework/copper-pipework.png",
                         "copper-pipework/ob3-credential.json", "copper-pipework/ob3-credential.jwt",
                         "safe-scaffolding/assertion.json", "safe-scaffolding/badge.json",
                         "safe-scaffolding/ob3-credential.json", "safe-scaffolding/ob3-credential.jwt",
                         "safe-scaffolding/safe-scaffolding-ob3.png", "safe-scaffolding/safe-scaffolding.png"]
        assert json.loads(zf.read("safe-scaffolding/assertion.json"))["id"].endswith(str(a.public_id))
        assert json.loads(read_baked(zf.read("copper-pipework/copper-pipework.png")))["id"].endswith(str(b.public_id))
        assert json.loads(zf.read("copper-pipework/badge.json"))["name"] == "Copper Pipework"


def test_certificate_is_print_ready_with_a_qr_code_to_the_verification_page(client, learner, badge_a):
    learner.name = "Lee Learner"
    learner.save()
    a = award(badge_a)
    entry = services.assertion_claim(assertion=a, user=learner)
    client.force_login(learner)
    html = client.get(f"/backpack/badges/{entry.public_id}/certificate/").content.decode()
    assert "Lee Learner" in html
    assert "Safe Scaffolding" in html
    assert "College A Construction" in html
    assert a.issued_on.strftime("%-d %B %Y") in html
    assert '<svg' in html
    assert 'class="segno"' in html
    assert f"http://127.0.0.1:8000/public/assertions/{a.public_id}" in html
    css = (__import__("pathlib").Path(__file__).resolve().parents[2] / "static/css/app.css").read_text()
    assert "@media print" in css


def test_expiry_reminder_is_sent_once_with_what_to_do(learner, badge_a, badge_b, django_capture_on_commit_callbacks):
    soon = award(badge_a, expires=timezone.now() + timedelta(days=10))
    award(badge_b, expires=timezone.now() + timedelta(days=300))  # not yet
    mail.outbox.clear()
    with emails_sent(django_capture_on_commit_callbacks):
        assert expiry_reminders_send() == 1
        assert expiry_reminders_send() == 0
    (message,) = mail.outbox
    assert message.to == [LEARNER]
    assert "Safe Scaffolding" in message.subject
    expires_day = shown_day(soon.expires, soon.tenant.zone)  # the college's day, one format
    assert message.subject.endswith(f"expires on {expires_day}")
    assert f"expires on {expires_day}." in message.body
    assert "To renew it, contact College A Construction at badges@a.example" in message.body
    assert "/backpack/" in message.body
    reminder = ExpiryReminder.objects.select_related("mail").get(assertion=soon)
    assert (reminder.mail.kind, reminder.mail.status) == ("expiry_reminder", "sent")  # through the outbox


def test_deleting_the_account_keeps_the_issuers_record_and_verification(client, learner, badge_a):
    a = award(badge_a)
    services.assertion_claim(assertion=a, user=learner)
    client.force_login(learner)
    client.post("/backpack/collections/", {"name": "Mine", "visibility": "public"})
    client.post(reverse("account_reset_password"), {"email": LEARNER})  # an account email in the outbox
    assert OutboxEmail.objects.filter(kind=ACCOUNT, to=LEARNER).exists()
    wrong = client.post("/backpack/delete-account/", {"password": "not-it"})
    assert wrong.status_code == 400
    assert b"That is not your password" in wrong.content
    response = client.post("/backpack/delete-account/", {"password": PASSWORD})
    assert response.status_code == 302
    assert not get_user_model().objects.filter(email=LEARNER).exists()
    assert not EmailAddress.objects.filter(email=LEARNER).exists()
    assert not BackpackEntry.objects.exists()
    assert not Collection.objects.exists()
    assert not OutboxEmail.objects.filter(kind=ACCOUNT, to=LEARNER).exists()  # their reset link is forgotten
    with tenant_scope(a.tenant):
        a = Assertion.objects.get(pk=a.pk)
    assert a.claimed_by is None
    assert a.claimed_at is not None  # the issuer's record that it was claimed stays
    assert client.get(f"/public/assertions/{a.public_id}", HTTP_ACCEPT="application/ld+json").status_code == 200


def test_staff_cannot_delete_their_account_from_the_backpack(client, alice, tenant_a):
    client.force_login(alice)
    response = client.post("/backpack/delete-account/", {"password": PASSWORD})
    assert response.status_code == 400
    assert b"ask its admin to remove you" in response.content
    assert get_user_model().objects.filter(pk=alice.pk).exists()


def test_backpack_pages_require_login(client, db):
    for url in ["/backpack/", "/backpack/import/", "/backpack/export/", "/backpack/collections/",
                "/backpack/delete-account/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")


def test_an_svg_badge_downloads_as_baked_svg(client, learner, tenant_a, issuer_a):
    from django.core.files.base import ContentFile

    from badges.models import BadgeClass

    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" viewBox="0 0 100 100">'
           b'<circle cx="50" cy="50" r="45" fill="#1d4ed8"/></svg>')
    with tenant_scope(tenant_a):
        badge = BadgeClass(tenant=tenant_a, issuer=issuer_a, name="Vector Badge", description="An SVG badge.",
                           image_type="svg")
        badge.image.save("v.svg", ContentFile(svg), save=False)
        badge.save()
    a = award(badge)
    entry = services.assertion_claim(assertion=a, user=learner)
    client.force_login(learner)
    response = client.get(f"/backpack/badges/{entry.public_id}/download/image/")
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Disposition"].endswith('vector-badge.svg"')
    assert json.loads(read_baked(response.content))["id"].endswith(str(a.public_id))
    page = client.get(f"/backpack/badges/{entry.public_id}/").content.decode()
    assert f"/backpack/badges/{entry.public_id}/download/png/" in page  # PNG offered as well as SVG
    png = client.get(f"/backpack/badges/{entry.public_id}/download/png/")
    assert png["Content-Type"] == "image/png"
    assert png["Content-Disposition"].endswith('vector-badge.png"')
    assert png.content.startswith(b"\x89PNG")  # rendered from the SVG
    assert json.loads(read_baked(png.content))["id"].endswith(str(a.public_id))
    assert verify(image=png.content).verdict == "valid"


def test_one_reminder_run_sends_every_due_reminder_batch_after_batch(learner, badge_a, monkeypatch,
                                                                      django_capture_on_commit_callbacks):
    import backpack.tasks

    monkeypatch.setattr(backpack.tasks, "REMINDER_BATCH", 2)
    for _ in range(5):
        award(badge_a, expires=timezone.now() + timedelta(days=10))
    mail.outbox.clear()
    with emails_sent(django_capture_on_commit_callbacks):
        assert expiry_reminders_send() == 5  # three batches (2, 2, 1), not the first batch only
        assert expiry_reminders_send() == 0
    assert len(mail.outbox) == 5


@postgresql_only("reads its query plan")
def test_the_reminder_beat_reads_only_expiring_awards_and_looks_each_reminder_up(db):
    """EXPLAIN of the beat's query: the partial index of expiring awards and an anti-join on the
    reminders' unique index, never a scan of every award nor a NOT IN list of every reminder."""
    from django.db import connection

    from backpack.tasks import _due_reminders

    with CaptureQueriesContext(connection) as queries:
        _due_reminders()
    (sql,) = [q["sql"] for q in queries.captured_queries if "assertions_assertion" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the empty test tables would be scanned otherwise
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "assertion_expiring" in plan, plan
    assert "Anti Join" in plan, plan
    assert "SubPlan" not in plan, plan
