"""Importing badges earned elsewhere (baked image, URL, JWS): verified, matched to a verified address,
re-checked, and exported exactly as imported. The foreign issuer is a local HTTP server."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assertions.baking import bake_png
from assertions.pipeline import assertion_bake
from backpack.models import BackpackEntry, ImportedBadge
from backpack.tasks import imported_badges_recheck
from issuers.scoping import tenant_scope
from tests.support import png_bytes
from tests.support.foreign import ForeignIssuer, Server, sign
from tests.support.learners import LEARNER, award


@pytest.fixture
def northgate(settings):
    settings.VERIFY_ALLOW_PRIVATE_ADDRESSES = True  # the foreign issuer is on loopback
    server = Server()
    yield ForeignIssuer(server)
    server.close()


def _entry(response) -> BackpackEntry:
    assert response.status_code == 302, response.content.decode()[:2000]
    return BackpackEntry.objects.get(public_id=response.url.split("/")[-2])


def test_importing_our_own_baked_image_finds_the_award_instead_of_copying_it(client, learner, badge_a):
    a = award(badge_a)
    with tenant_scope(a.tenant):
        baked = assertion_bake(a)
    client.force_login(learner)
    entry = _entry(client.post("/backpack/import/", {"image": SimpleUploadedFile("mine.png", baked, "image/png")}))
    assert entry.assertion_id == a.pk
    assert not ImportedBadge.objects.exists()


def test_foreign_signed_badge_is_verified_marked_and_exported_unchanged(client, learner, northgate):
    jws = sign(northgate.assertion("s1", recipient=LEARNER, signed=True), northgate.key)
    client.force_login(learner)
    entry = _entry(client.post("/backpack/import/", {"text": f"  {jws}\n"}))
    imported = entry.imported
    assert imported.source == "jws"
    assert imported.verdict == "valid"
    assert imported.matched_email == LEARNER
    assert imported.issuer["name"] == "Northgate Training"
    page = client.get(f"/backpack/badges/{entry.public_id}/").content.decode()
    assert "Forklift Safety" in page
    assert "Northgate Training" in page
    assert "Imported" in page
    exported = client.get(f"/backpack/badges/{entry.public_id}/download/original/")
    assert exported.content == jws.encode()
    grid = client.get("/backpack/")
    assert [(i.name, i.issuer_name, i.imported) for i in grid.context["items"]] == [
        ("Forklift Safety", "Northgate Training", True)]


def test_foreign_baked_png_is_exported_byte_for_byte(client, learner, northgate):
    hosted = northgate.assertion("h1", recipient=LEARNER)
    image = bake_png(png_bytes(), json.dumps(hosted))
    client.force_login(learner)
    entry = _entry(client.post("/backpack/import/", {"image": SimpleUploadedFile("forklift.png", image, "image/png")}))
    assert entry.imported.source == "png"
    exported = client.get(f"/backpack/badges/{entry.public_id}/download/original/")
    assert exported["Content-Type"] == "image/png"
    assert exported.content == image
    # The zip of everything holds the import unchanged too.
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(client.get("/backpack/export/").content)) as zf:
        assert zf.read("forklift-safety/forklift-safety.png") == image


def test_foreign_assertion_url_is_imported_and_rechecked_until_revoked(client, learner, northgate):
    hosted = northgate.assertion("h2", recipient=LEARNER)
    client.force_login(learner)
    entry = _entry(client.post("/backpack/import/", {"text": hosted["id"]}))
    assert entry.imported.source == "url"
    assert entry.imported.verdict == "valid"
    northgate.revoke(hosted, "Certificate withdrawn")
    ImportedBadge.objects.update(checked_at=timezone.now() - timedelta(days=8))
    assert imported_badges_recheck() == 1
    entry.imported.refresh_from_db()
    assert entry.imported.verdict == "revoked"
    assert [i.status_label for i in client.get("/backpack/").context["items"]] == ["Revoked"]


def test_a_recheck_while_the_verifier_is_busy_keeps_the_last_verdict(client, learner, northgate, settings):
    from verification.verifier import foreign_slots

    hosted = northgate.assertion("h3", recipient=LEARNER)
    client.force_login(learner)
    entry = _entry(client.post("/backpack/import/", {"text": hosted["id"]}))
    settings.VERIFY_MAX_CONCURRENT = 1
    assert foreign_slots.try_acquire()  # another request is verifying a foreign badge
    try:
        response = client.post(f"/backpack/badges/{entry.public_id}/action/", {"action": "recheck"}, follow=True)
    finally:
        foreign_slots.release()
    assert "The verifier is busy checking other badges" in response.content.decode()
    entry.imported.refresh_from_db()
    assert entry.imported.verdict == "valid"


def test_a_badge_for_someone_else_is_refused_with_a_reason(client, learner, northgate):
    jws = sign(northgate.assertion("s2", recipient="someone@else.example", signed=True), northgate.key)
    client.force_login(learner)
    response = client.post("/backpack/import/", {"text": jws})
    assert response.status_code == 400
    assert b"not issued to any of your verified email addresses" in response.content
    assert not ImportedBadge.objects.exists()


@pytest.mark.parametrize("payload", [
    {"text": "hello, this is not a badge"},
    {"text": "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln"},
    {"image": SimpleUploadedFile("cat.png", b"\x89PNG\r\n\x1a\nnot really", "image/png")},
    {},
])
def test_garbage_gets_a_clear_message_not_a_500(client, learner, payload):
    client.force_login(learner)
    response = client.post("/backpack/import/", payload)
    assert response.status_code == 400
    assert b'class="bp-alert"' in response.content or b"errorlist" in response.content
    assert not ImportedBadge.objects.exists()
