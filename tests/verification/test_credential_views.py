"""The public Open Badges 3.0 URLs (verification.credential_views): media types, a browser gets the
badge's page, the worker bakes the OB 3.0 image, and a revocation shows in the status list and the
revocation list on the very next request although both are cached."""

from __future__ import annotations

import json
import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext

from assertions.baking import png_chunks
from assertions.services import assertion_revoke
from assertions.tasks import process_assertions
from credentials.baking import OB3_NS
from credentials.did import issuer_did
from credentials.models import IssuedCredential
from credentials.multibase import public_key_from_multikey
from credentials.proof import proof_verify
from credentials.statuslist import decode, is_set
from endorsements.services import endorsement_withdraw
from issuers.scoping import tenant_scope, unscoped
from tests.support import SVG, endorse, issue_to_learner, make_badge


def _status(client, credential: dict) -> bool:
    entry = credential["credentialStatus"]
    listed = client.get(entry["statusListCredential"].split("/public/", 1)[1].join(["/public/", ""])).json()
    return is_set(decode(listed["credentialSubject"]["encodedList"]), int(entry["statusListIndex"]))


def test_the_credential_is_vc_json_ld_with_a_proof_by_the_issuers_did_key(client, tenant_a, badge_a):
    award = issue_to_learner(tenant_a, badge_a)
    response = client.get(f"/public/credentials/{award.public_id}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vc+ld+json")
    assert response["Access-Control-Allow-Origin"] == "*"
    credential = response.json()
    assert credential["issuer"]["id"] == issuer_did(badge_a.issuer)
    assert credential["credentialSubject"]["identifier"][0]["identityHash"] == award.recipient_hash
    did = client.get(f"/public/issuers/{badge_a.issuer.public_id}/did.json").json()
    method = next(m for m in did["verificationMethod"] if m["id"] == credential["proof"][0]["verificationMethod"])
    assert method["id"] in did["assertionMethod"]
    public_key_from_multikey(method["publicKeyMultibase"])
    assert proof_verify(credential, method["publicKeyMultibase"])
    assert client.get(f"/public/credentials/{award.public_id}").content == response.content  # stable bytes


def test_a_browser_gets_the_badge_page(client, tenant_a, badge_a):
    award = issue_to_learner(tenant_a, badge_a)
    response = client.get(f"/public/credentials/{award.public_id}", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert badge_a.name in response.content.decode()


def test_the_jwt_is_plain_text_with_the_issuers_rsa_key(client, tenant_a, badge_a):
    award = issue_to_learner(tenant_a, badge_a)
    response = client.get(f"/public/credentials/{award.public_id}/jwt")
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.count(b".") == 2


def test_the_worker_bakes_the_ob3_image_beside_the_ob2_one(client, tenant_a, badge_a):
    award = issue_to_learner(tenant_a, badge_a, notify=False)
    process_assertions(tenant_id=tenant_a.pk, assertion_ids=[award.pk])  # the worker's task
    with unscoped("test: read the record the worker made"):
        record = IssuedCredential.objects.get(assertion=award)
    assert record.baked_image
    body = client.get(f"/public/credentials/{award.public_id}/image").content
    chunks = [data for kind, data, _raw in png_chunks(body) if kind == b"iTXt"]
    (chunk,) = [c for c in chunks if c.startswith(b"openbadgecredential\x00")]
    baked = json.loads(chunk.split(b"\x00", 5)[-1])  # keyword, flag, method, language, translated keyword
    assert baked == client.get(f"/public/credentials/{award.public_id}").json()


def _baked_credential(client, award) -> dict:
    body = client.get(f"/public/credentials/{award.public_id}/image").content
    (chunk,) = [data for kind, data, _raw in png_chunks(body)
                if kind == b"iTXt" and data.startswith(b"openbadgecredential\x00")]
    return json.loads(chunk.split(b"\x00", 5)[-1])


def test_a_batch_bakes_each_award_with_its_badges_endorsements_in_queries_that_do_not_grow_with_it(
        client, tenant_a, badge_a):
    endorse(tenant_a, badge_a)
    first = issue_to_learner(tenant_a, badge_a, notify=False)
    process_assertions(tenant_id=tenant_a.pk, assertion_ids=[first.pk])  # the keys are made on first use
    few = [issue_to_learner(tenant_a, badge_a, notify=False) for _ in range(2)]
    many = [issue_to_learner(tenant_a, badge_a, notify=False) for _ in range(6)]
    counts = []
    for awards in (few, many):
        with CaptureQueriesContext(connection) as queries:
            process_assertions(tenant_id=tenant_a.pk, assertion_ids=[a.pk for a in awards])  # the worker's task
        counts.append(len(queries))
    assert counts[0] == counts[1]  # the endorsements are read and signed once per batch, not per award
    for award in [first, *few, *many]:
        baked = _baked_credential(client, award)
        assert baked == client.get(f"/public/credentials/{award.public_id}").json()
        (embedded,) = baked["credentialSubject"]["achievement"]["endorsement"]
        assert embedded["type"] == ["VerifiableCredential", "EndorsementCredential"]


def test_an_svg_badge_bakes_the_credential_in_the_ob3_namespace(client, tenant_a, issuer_a):
    from django.core.files.base import ContentFile

    badge = make_badge(tenant_a, issuer_a, "Site safety")
    with tenant_scope(tenant_a):
        badge.image_type = "svg"
        badge.image.save("b.svg", ContentFile(SVG), save=False)
        badge.save()
    award = issue_to_learner(tenant_a, badge)
    body = client.get(f"/public/credentials/{award.public_id}/image").content.decode()
    assert f'xmlns:openbadges="{OB3_NS}"' in body
    payload = body.split("<openbadges:credential><![CDATA[", 1)[1].split("]]></openbadges:credential>", 1)[0]
    assert json.loads(payload)["id"].endswith(str(award.public_id))


def test_revoking_changes_the_status_list_and_revocation_list_on_the_next_request(client, tenant_a, badge_a, alice):
    award = issue_to_learner(tenant_a, badge_a)
    other = issue_to_learner(tenant_a, badge_a)
    credential = client.get(f"/public/credentials/{award.public_id}").json()
    client.get(f"/public/credentials/{other.public_id}")
    revocations = f"/public/issuers/{badge_a.issuer.public_id}/credential-revocations"
    assert not _status(client, credential)  # now cached
    assert client.get(revocations).json()["revokedCredentials"] == []
    with tenant_scope(tenant_a):
        assertion_revoke(assertion=award, reason="Awarded in error", actor=alice)
    assert _status(client, credential)
    assert not _status(client, client.get(f"/public/credentials/{other.public_id}").json())
    assert client.get(revocations).json()["revokedCredentials"] == [
        {"id": credential["id"], "revocationReason": "Awarded in error"}]


def test_status_indexes_are_allocated_once_and_in_order_for_a_cohort(client, tenant_a, badge_a):
    awards = [issue_to_learner(tenant_a, badge_a) for _ in range(3)]
    indexes = [int(client.get(f"/public/credentials/{a.public_id}").json()["credentialStatus"]["statusListIndex"])
               for a in awards]
    again = [int(client.get(f"/public/credentials/{a.public_id}").json()["credentialStatus"]["statusListIndex"])
             for a in awards]
    assert indexes == again
    assert len(set(indexes)) == 3


def test_unknown_ids_and_lists_are_404(client, issuer_a):
    assert client.get(f"/public/credentials/{uuid.uuid4()}").status_code == 404
    assert client.get(f"/public/credentials/{uuid.uuid4()}/jwt").status_code == 404
    assert client.get(f"/public/issuers/{uuid.uuid4()}/did.json").status_code == 404
    assert client.get(f"/public/issuers/{issuer_a.public_id}/status/7").status_code == 404
    assert client.get(f"/public/issuers/{issuer_a.public_id}/status/0").status_code == 200


def test_an_endorsement_is_embedded_as_an_endorsement_credential_signed_by_its_endorser(client, tenant_a, badge_a):
    endorsement = endorse(tenant_a, badge_a)
    award = issue_to_learner(tenant_a, badge_a)
    credential = client.get(f"/public/credentials/{award.public_id}").json()
    (embedded,) = credential["credentialSubject"]["achievement"]["endorsement"]
    assert embedded["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert embedded["credentialSubject"]["id"] == credential["credentialSubject"]["achievement"]["id"]
    assert embedded["credentialSubject"]["endorsementComment"] == endorsement.comment
    did = client.get(f"/public/endorsers/{endorsement.endorser.public_id}/did.json").json()
    assert did["id"] == embedded["issuer"]["id"]
    (method,) = did["verificationMethod"]
    assert embedded["proof"][0]["verificationMethod"] == method["id"]
    assert proof_verify(embedded, method["publicKeyMultibase"])
    endorsement_withdraw(endorsement=endorsement, user=endorsement.endorser.owner)
    again = client.get(f"/public/credentials/{award.public_id}").json()
    assert "endorsement" not in again["credentialSubject"]["achievement"]
