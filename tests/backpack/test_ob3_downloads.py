"""The backpack offers each award as Open Badges 3.0 beside 2.0: the signed JSON, the VC-JWT and the
baked image; the share page and the certificate link both forms; another learner gets 404."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from assertions.baking import png_chunks
from assertions.services import assertion_revoke
from backpack import services
from backpack.models import BackpackEntry
from credentials.proof import proof_verify
from issuers.scoping import tenant_scope
from tests.support.learners import award
from tests.support.ob3 import ob3check_failures, ob3check_report


def _entry(client, learner, badge) -> tuple[object, BackpackEntry]:
    a = award(badge)
    client.force_login(learner)
    client.get("/backpack/")
    return a, BackpackEntry.objects.get(user=learner, assertion=a)


def _did_key(client, credential: dict) -> str:
    did = client.get(f"/public/issuers/{credential['issuer']['id'].rsplit(':', 1)[1]}/did.json").json()
    method = credential["proof"][0]["verificationMethod"]
    return next(m["publicKeyMultibase"] for m in did["verificationMethod"] if m["id"] == method)


def test_the_badge_page_offers_ob3_json_jwt_and_image_beside_ob2(client, learner, badge_a):
    _a, entry = _entry(client, learner, badge_a)
    html = client.get(f"/backpack/badges/{entry.public_id}/").content.decode()
    for kind in ("json", "image", "ob3-json", "ob3-jwt", "ob3-image"):
        assert f"/backpack/badges/{entry.public_id}/download/{kind}/" in html


def test_the_ob3_downloads_are_the_signed_credential_in_each_form(client, learner, badge_a):
    a, entry = _entry(client, learner, badge_a)
    base = f"/backpack/badges/{entry.public_id}/download"
    response = client.get(f"{base}/ob3-json/")
    assert response["Content-Type"] == "application/vc+ld+json"
    assert response["Content-Disposition"] == 'attachment; filename="safe-scaffolding-ob3.json"'
    credential = response.json()
    assert credential == client.get(f"/public/credentials/{a.public_id}").json()
    assert proof_verify(credential, _did_key(client, credential))
    jwt = client.get(f"{base}/ob3-jwt/")
    assert jwt["Content-Type"] == "text/plain"
    assert jwt.content == client.get(f"/public/credentials/{a.public_id}/jwt").content
    image = client.get(f"{base}/ob3-image/").content
    (chunk,) = [d for kind, d, _ in png_chunks(image) if kind == b"iTXt" and d.startswith(b"openbadgecredential\0")]
    assert json.loads(chunk.split(b"\0", 5)[-1]) == credential


def test_another_learner_cannot_download_them(client, learner, other_learner, badge_a):
    _a, entry = _entry(client, learner, badge_a)
    client.force_login(other_learner)
    for kind in ("ob3-json", "ob3-jwt", "ob3-image"):
        assert client.get(f"/backpack/badges/{entry.public_id}/download/{kind}/").status_code == 404


def test_the_share_page_and_the_certificate_link_both_forms(client, learner, badge_a):
    a = award(badge_a)
    entry = services.assertion_claim(assertion=a, user=learner)
    client.force_login(learner)
    share = client.get(f"/s/{a.public_id}/").content.decode()
    assert f"/public/credentials/{a.public_id}" in share
    assert f"/public/credentials/{a.public_id}/jwt" in share
    assert f"/public/assertions/{a.public_id}" in share
    certificate = client.get(f"/backpack/badges/{entry.public_id}/certificate/").content.decode()
    assert f"http://127.0.0.1:8000/public/credentials/{a.public_id}" in certificate
    assert f"http://127.0.0.1:8000/public/assertions/{a.public_id}" in certificate


@pytest.mark.conformance
def test_the_zip_of_everything_holds_each_award_as_open_badges_3_and_ob3check_verifies_them(
        client, learner, badge_a, live_server, settings, tmp_path):
    """ob3check reads the issuer's DID document and status list from the live server, as a wallet would."""
    settings.PUBLIC_BASE_URL = live_server.url
    kept, withdrawn = award(badge_a), award(badge_a)
    with tenant_scope(badge_a.tenant):
        assertion_revoke(assertion=withdrawn, reason="Sent by mistake")
    client.force_login(learner)
    with zipfile.ZipFile(io.BytesIO(client.get("/backpack/export/").content)) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path)
    folders = {json.loads((tmp_path / folder / "ob3-credential.json").read_text())["id"].rsplit("/", 1)[1]: folder
               for folder in ("safe-scaffolding", "safe-scaffolding-2")}
    good, bad = tmp_path / folders[str(kept.public_id)], tmp_path / folders[str(withdrawn.public_id)]
    stem = good.name
    assert {f"{stem}/ob3-credential.json", f"{stem}/ob3-credential.jwt", f"{stem}/{stem}-ob3.png",
            f"{bad.name}/ob3-credential.json", f"{bad.name}/ob3-credential.jwt"} <= names
    assert not [n for n in names if n.startswith(f"{bad.name}/") and n.endswith(".png")]  # revoked: no image
    for path in (good / "ob3-credential.json", good / "ob3-credential.jwt", *good.glob("*-ob3.png")):
        report = ob3check_report(path)
        assert report["valid"], (path.name, ob3check_failures(report))
    for path in (bad / "ob3-credential.json", bad / "ob3-credential.jwt"):
        failures = ob3check_failures(ob3check_report(path))
        assert [f for f in failures if f.startswith("credentialStatus: REVOKED")], (path.name, failures)
