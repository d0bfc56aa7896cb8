"""Offboarding a college: the worker builds one archive of everything it owns, whose baked badges the
reference validator accepts while the college exists; after the grace period the beat task deletes the
college, and every public URL of its badges answers 410 Gone saying why, not 404."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from assertions.models import Assertion
from assertions.services import assertion_revoke
from console.models import Offboarding
from console.services import archive_path, offboarding_start, offboardings_delete_due
from console.tasks import offboardings_delete
from credentials.models import IssuedCredential
from issuers.models import PeriodicRun, Tenant
from issuers.scoping import tenant_scope
from tests.support import LD, eager_tasks, issue_one
from tests.support.conformance import errors, validate
from tests.support.ob3 import ob3check_failures, ob3check_report
from verification.models import RemovedDocument


@pytest.fixture
def offboarded(live_server, settings, tmp_path, platform_admin, tenant_a, badge_a, alice):
    """College A with a valid and a revoked award, offboarded with 7 days' grace (archive built)."""
    settings.PUBLIC_BASE_URL = live_server.url
    settings.ARCHIVE_ROOT = tmp_path / "archives"
    with eager_tasks():
        with tenant_scope(tenant_a):
            valid = issue_one(badge_class=badge_a, recipient_identity="ann@example.org", recipient_name="Ann")
            revoked = issue_one(badge_class=badge_a, recipient_identity="ben@example.org")
            assertion_revoke(assertion=revoked, reason="Sent by mistake", actor=alice)
        offboarding = offboarding_start(tenant=tenant_a, grace_days=7, actor=platform_admin)
    offboarding.refresh_from_db()
    return offboarding, valid, revoked


@pytest.mark.conformance
def test_the_archive_holds_everything_and_its_badges_verify_while_the_college_exists(
        offboarded, tmp_path, tenant_a, badge_a, issuer_a):
    offboarding, valid, revoked = offboarded
    assert offboarding.status == Offboarding.Status.READY
    tenant_a.refresh_from_db()
    assert tenant_a.status == Tenant.Status.SUSPENDED
    assert "Leaving the platform" in tenant_a.status_reason
    with zipfile.ZipFile(archive_path(offboarding)) as archive:
        names = set(archive.namelist())
        assert {"college.json", "README.txt", "awards.csv", "learners.csv", "audit.csv",
                f"issuers/{issuer_a.public_id}.json", f"badges/{badge_a.public_id}.json",
                f"badges/{badge_a.public_id}.png", f"awards/{valid.public_id}.json", f"awards/{valid.public_id}.png",
                f"awards/{revoked.public_id}.json"} <= names
        assert f"awards/{revoked.public_id}.png" not in names  # a revoked badge has no image to hold
        doc = json.loads(archive.read(f"awards/{valid.public_id}.json"))
        assert doc["type"] == "Assertion"
        assert doc["id"].endswith(f"/public/assertions/{valid.public_id}")
        assert json.loads(archive.read(f"awards/{revoked.public_id}.json"))["revoked"] is True
        awards = list(csv.reader(io.StringIO(archive.read("awards.csv").decode("utf-8-sig"))))
        assert awards[0][:3] == ["award", "badge", "recipient"]
        assert sorted(r[6] for r in awards[1:]) == ["revoked", "valid"]
        learners = list(csv.reader(io.StringIO(archive.read("learners.csv").decode("utf-8-sig"))))
        claims = {r[1]: r[2] for r in learners[1:]}
        assert claims == {"ann@example.org": "not claimed", "ben@example.org": "not claimed"}
        audit = archive.read("audit.csv").decode("utf-8-sig")
        assert "assertion.revoke" in audit
        assert "tenant.suspended" in audit
        baked = tmp_path / "baked.png"
        baked.write_bytes(archive.read(f"awards/{valid.public_id}.png"))
    report = validate(str(baked), recipient="ann@example.org")
    assert report["valid"], errors(report)


def test_nothing_is_deleted_before_the_grace_period_is_over(offboarded, tenant_a):
    assert offboardings_delete_due() == 0
    assert Tenant.objects.filter(pk=tenant_a.pk).exists()


def test_after_the_grace_period_the_college_is_deleted_and_its_public_urls_answer_410(
        offboarded, client, tenant_a, badge_a, issuer_a):
    offboarding, valid, revoked = offboarded
    assert client.get(f"/public/assertions/{valid.public_id}", **LD).status_code == 200  # cached now
    with tenant_scope(tenant_a):
        images = [Assertion.objects.get(pk=valid.pk).baked_image.name,
                  IssuedCredential.objects.get(assertion_id=valid.pk).baked_image.name]
    assert all(images)
    assert all(default_storage.exists(name) for name in images)
    Offboarding.objects.filter(pk=offboarding.pk).update(delete_after=timezone.now() - timedelta(minutes=1))
    offboardings_delete.apply()
    assert [name for name in images if default_storage.exists(name)] == []  # both baked images went

    assert not Tenant.objects.filter(pk=tenant_a.pk).exists()
    offboarding.refresh_from_db()
    assert offboarding.status == Offboarding.Status.DELETED
    assert offboarding.tenant is None
    assert archive_path(offboarding).exists()  # the archive outlives the college
    assert PeriodicRun.objects.get(task="console.tasks.offboardings_delete").succeeded is True
    gone = client.get(f"/public/assertions/{valid.public_id}", **LD)
    assert gone.status_code == 410
    assert gone.json()["detail"].startswith("This badge was issued by College A, which has left Badge Platform")
    page = client.get(f"/public/assertions/{valid.public_id}", HTTP_ACCEPT="text/html")
    assert page.status_code == 410
    assert "can no longer be verified here" in page.content.decode()
    for url in (f"/public/assertions/{revoked.public_id}", f"/public/assertions/{valid.public_id}/image",
                f"/public/badges/{badge_a.public_id}", f"/public/badges/{badge_a.public_id}/image",
                f"/public/issuers/{issuer_a.public_id}", f"/public/issuers/{issuer_a.public_id}/revocations",
                f"/public/credentials/{valid.public_id}", f"/s/{valid.public_id}/", f"/s/{valid.public_id}/image.png"):
        assert client.get(url, **LD).status_code == 410, url
    assert client.get(f"/public/assertions/{uuid.uuid4()}", **LD).status_code == 404  # never ours: still 404
    assert RemovedDocument.objects.filter(college="College A").count() >= 5


def test_the_platform_admin_downloads_the_archive_and_may_cancel_the_deletion(offboarded, client, platform_admin,
                                                                             tenant_a):
    offboarding, _, _ = offboarded
    client.force_login(platform_admin)
    download = client.get(reverse("console:offboarding_archive", args=[offboarding.public_id]))
    assert download.status_code == 200
    assert zipfile.is_zipfile(io.BytesIO(b"".join(download.streaming_content)))
    client.post(reverse("console:offboarding_cancel", args=[offboarding.public_id]))
    offboarding.refresh_from_db()
    assert offboarding.status == Offboarding.Status.CANCELLED
    Offboarding.objects.filter(pk=offboarding.pk).update(delete_after=timezone.now() - timedelta(days=1))
    assert offboardings_delete_due() == 0
    assert Tenant.objects.filter(pk=tenant_a.pk).exists()


def test_a_college_admin_cannot_download_an_archive(offboarded, client, alice):
    offboarding, _, _ = offboarded
    client.force_login(alice)
    assert client.get(reverse("console:offboarding_archive", args=[offboarding.public_id])).status_code == 403


def test_an_archive_that_could_not_be_written_is_shown_failed_and_built_again(
        client, settings, tmp_path, platform_admin, tenant_a, badge_a, django_capture_on_commit_callbacks):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the archive directory should be")
    settings.ARCHIVE_ROOT = blocked
    with pytest.raises(FileExistsError), eager_tasks(), django_capture_on_commit_callbacks(execute=True):
        offboarding_start(tenant=tenant_a, grace_days=30, actor=platform_admin)
    offboarding = Offboarding.objects.get(tenant=tenant_a)
    assert offboarding.status == Offboarding.Status.FAILED
    client.force_login(platform_admin)
    page = client.get(reverse("console:college", args=[tenant_a.public_id])).content.decode()
    assert "Build the archive again" in page
    assert "FileExistsError" in page

    settings.ARCHIVE_ROOT = tmp_path / "archives"
    with eager_tasks(), django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("console:offboarding_retry", args=[offboarding.public_id]))
    offboarding.refresh_from_db()
    assert offboarding.status == Offboarding.Status.READY
    assert offboarding.error == ""
    assert archive_path(offboarding).exists()


@pytest.mark.conformance
def test_the_archive_holds_each_award_as_open_badges_3_and_ob3check_verifies_them(
        offboarded, tmp_path, issuer_a, client):
    offboarding, valid, revoked = offboarded
    with zipfile.ZipFile(archive_path(offboarding)) as archive:
        names = set(archive.namelist())
        assert {f"awards/{valid.public_id}.ob3.json", f"awards/{valid.public_id}.ob3.jwt",
                f"awards/{valid.public_id}.ob3.png", f"awards/{revoked.public_id}.ob3.json",
                f"awards/{revoked.public_id}.ob3.jwt", f"issuers/{issuer_a.public_id}.did.json"} <= names
        assert f"awards/{revoked.public_id}.ob3.png" not in names
        assert "Open Badges 3.0" in archive.read("README.txt").decode()
        did = json.loads(archive.read(f"issuers/{issuer_a.public_id}.did.json"))
        for name in names:
            if ".ob3." in name:
                (tmp_path / name.replace("/", "-")).write_bytes(archive.read(name))
    assert did == client.get(f"/public/issuers/{issuer_a.public_id}/did.json").json()
    for ext in ("json", "jwt", "png"):
        report = ob3check_report(tmp_path / f"awards-{valid.public_id}.ob3.{ext}")
        assert report["valid"], (ext, ob3check_failures(report))
        assert not [c for c in report["checks"] if c["name"] == "schema" and c["status"] != "PASS"], ext
    for ext in ("json", "jwt"):
        report = ob3check_report(tmp_path / f"awards-{revoked.public_id}.ob3.{ext}")
        assert not report["valid"]
        assert [f for f in ob3check_failures(report) if f.startswith("credentialStatus: REVOKED")], (ext, report)
