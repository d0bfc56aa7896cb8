"""Importing Open Badges 3.0 credentials earned elsewhere ("Harbour College", a foreign did:web issuer on
loopback): JSON, VC-JWT and baked PNG/SVG are verified, matched to a verified address, kept byte for
byte, re-checked weekly against the issuer's status list, and exported unchanged."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from backpack.models import BackpackEntry, ImportedBadge
from backpack.tasks import imported_badges_recheck
from tests.support import make_user
from tests.support.ob3 import LEARNER_EMAIL


@pytest.fixture
def holder(db, settings):
    settings.VERIFY_ALLOW_PRIVATE_ADDRESSES = True  # Harbour College is on loopback
    return make_user(LEARNER_EMAIL)


def _import(client, case, *, paste: bool = False) -> BackpackEntry:
    if paste:
        body = {"text": case.data.decode()}
    else:
        body = {"image": SimpleUploadedFile(case.path.name, case.data)}
    response = client.post("/backpack/import/", body)
    assert response.status_code == 302, response.content.decode()[:2000]
    return BackpackEntry.objects.get(public_id=response.url.split("/")[-2])


@pytest.mark.parametrize(("name", "paste", "source", "content_type", "extension"), [
    ("good", False, "json", "application/vc+ld+json", "json"),
    ("good", True, "json", "application/vc+ld+json", "json"),
    ("good jwt", False, "jws", "text/plain", "jwt"),
    ("good jwt", True, "jws", "text/plain", "jwt"),
    ("good baked png", False, "png", "image/png", "png"),
    ("good jwt baked svg", False, "svg", "image/svg+xml", "svg"),
])
def test_a_foreign_ob3_credential_is_imported_and_exported_byte_for_byte(
        client, holder, harbour, name, paste, source, content_type, extension):
    case = harbour.cases[name]
    client.force_login(holder)
    entry = _import(client, case, paste=paste)
    imported = entry.imported
    assert (imported.source, imported.verdict, imported.matched_email) == (source, "valid", LEARNER_EMAIL)
    assert imported.badge["standard"] == "Open Badges 3.0"
    assert imported.issuer["name"] == "Harbour College"
    page = client.get(f"/backpack/badges/{entry.public_id}/").content.decode()
    assert "Welding Level 2" in page
    assert "Harbour College" in page
    exported = client.get(f"/backpack/badges/{entry.public_id}/download/original/")
    assert exported["Content-Type"].startswith(content_type)
    # a file is kept as uploaded; pasted text as given, without the whitespace around it
    assert exported.content == (case.data.strip() if paste else case.data)
    with zipfile.ZipFile(io.BytesIO(client.get("/backpack/export/").content)) as zf:
        assert zf.read(f"welding-level-2/welding-level-2.{extension}") == exported.content


def test_an_imported_credential_is_rechecked_until_its_issuer_revokes_it(client, holder, harbour):
    client.force_login(holder)
    entry = _import(client, harbour.cases["good"])
    harbour.revoke_index_7()
    try:
        ImportedBadge.objects.update(checked_at=timezone.now() - timedelta(days=8))
        assert imported_badges_recheck() == 1
    finally:
        harbour.unrevoke()
    entry.imported.refresh_from_db()
    assert entry.imported.verdict == "revoked"
    assert [i.status_label for i in client.get("/backpack/").context["items"]] == ["Revoked"]


def test_a_broken_or_someone_elses_credential_is_refused_with_a_reason(client, harbour, db, settings):
    settings.VERIFY_ALLOW_PRIVATE_ADDRESSES = True
    client.force_login(make_user("olive@learner.example"))
    response = client.post("/backpack/import/", {"image": SimpleUploadedFile("c.json", harbour.cases["good"].data)})
    assert response.status_code == 400
    assert b"not issued to any of your verified email addresses" in response.content
    response = client.post("/backpack/import/", {"text": harbour.cases["tampered subject"].data.decode()})
    assert response.status_code == 400
    assert b"The digital signature of this credential is not valid." in response.content
    assert not ImportedBadge.objects.exists()
