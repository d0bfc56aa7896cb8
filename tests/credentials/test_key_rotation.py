"""Rotating an issuer's Open Badges 3.0 key: the college admin does it under Settings (a confirmation
page, then the audit log says so) or an operator with ``manage.py rotate_credential_key``; old public
keys stay in the DID document, so ob3check still says VALID for a credential signed before the
rotation, and the next one is signed with the new key. Other members, and other colleges, get 404."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from credentials.keys import credential_key_active
from credentials.models import CredentialKey
from issuers.models import AuditEntry
from issuers.scoping import tenant_scope
from tests.support.learners import award
from tests.support.ob3 import ob3check


def _rotate_url(tenant, issuer) -> str:
    return f"/t/{tenant.slug}/settings/ob3-keys/{issuer.public_id}/rotate/"


def _fetch(url: str, path: Path) -> dict:
    with urllib.request.urlopen(url) as response:  # noqa: S310 - our live server
        path.write_bytes(response.read())
    return json.loads(path.read_text())


def _signed_with(credential: dict) -> str:
    return credential["proof"][0]["verificationMethod"].rsplit("#", 1)[1]


@pytest.mark.conformance
def test_a_credential_signed_before_the_rotation_stays_valid_and_the_next_is_signed_with_the_new_key(
        served, client, tenant_a, alice, issuer_a):
    server, badges, tmp = served
    before = award(badges["png"])
    with tenant_scope(tenant_a):
        old = credential_key_active(issuer=issuer_a)
    client.force_login(alice)
    page = client.get(f"/t/{tenant_a.slug}/settings/").content.decode()
    assert f"/t/{tenant_a.slug}/settings/ob3-keys/" in page
    keys = client.get(f"/t/{tenant_a.slug}/settings/ob3-keys/").content.decode()
    assert old.public_key_multibase in keys
    assert _rotate_url(tenant_a, issuer_a) in keys
    confirm = client.get(_rotate_url(tenant_a, issuer_a))
    assert "Rotate the key" in confirm.content.decode()
    assert old.public_key_multibase in confirm.content.decode()
    with tenant_scope(tenant_a):
        assert CredentialKey.objects.filter(issuer=issuer_a).count() == 1  # the confirmation page changes nothing
    response = client.post(_rotate_url(tenant_a, issuer_a), follow=True)
    assert "keep verifying" in response.content.decode()
    with tenant_scope(tenant_a):
        new = credential_key_active(issuer=issuer_a)
        entry = AuditEntry.objects.get(action="credential_key.rotate")
    assert new != old
    assert entry.actor_label == alice.email
    after = award(badges["png"], email="second@example.org")

    old_credential = _fetch(f"{server.url}/public/credentials/{before.public_id}", tmp / "before.json")
    new_credential = _fetch(f"{server.url}/public/credentials/{after.public_id}", tmp / "after.json")
    assert _signed_with(old_credential) == old.public_key_multibase
    assert _signed_with(new_credential) == new.public_key_multibase
    for name in ("before.json", "after.json"):
        status, report = ob3check(str(tmp / name))
        assert (status, report.rstrip().splitlines()[-1]) == (0, "VALID"), report
        assert "key is the issuer's assertionMethod" in report
    did = json.loads(urllib.request.urlopen(  # noqa: S310 - our live server
        f"{server.url}/public/issuers/{issuer_a.public_id}/did.json").read())
    published = {m.get("publicKeyMultibase") for m in did["verificationMethod"]}
    assert {old.public_key_multibase, new.public_key_multibase} <= published


def test_the_command_rotates_one_issuer_or_all_and_the_audit_log_names_it(tenant_a, issuer_a, other_issuer):
    with tenant_scope(tenant_a):
        first = {i.pk: credential_key_active(issuer=i) for i in (issuer_a, other_issuer)}
    call_command("rotate_credential_key", tenant_a.slug, "--issuer", str(issuer_a.public_id), stdout=None)
    with tenant_scope(tenant_a):
        assert credential_key_active(issuer=issuer_a) != first[issuer_a.pk]
        assert credential_key_active(issuer=other_issuer) == first[other_issuer.pk]
        (entry,) = AuditEntry.objects.filter(action="credential_key.rotate")
    assert entry.actor_label == "command rotate_credential_key"
    call_command("rotate_credential_key", tenant_a.slug, "--all", stdout=None)
    with tenant_scope(tenant_a):
        assert CredentialKey.objects.filter(issuer=issuer_a).count() == 3
        assert CredentialKey.objects.filter(issuer=other_issuer, retired_at=None).get() != first[other_issuer.pk]
        assert AuditEntry.objects.filter(action="credential_key.rotate").count() == 3


@pytest.mark.parametrize(("args", "message"), [
    (["no-such-college", "--all"], "No tenant with slug 'no-such-college'."),
    (["college-a", "--issuer", "not-a-uuid"], "'not-a-uuid' is not an issuer id."),
    (["college-a", "--issuer", "00000000-0000-0000-0000-000000000000"], "No such issuer in College A."),
])
def test_the_command_refuses_what_it_cannot_find_in_plain_words(tenant_a, issuer_a, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(".", r"\.")):
        call_command("rotate_credential_key", *args, stdout=None)


def test_a_member_who_is_not_an_admin_cannot_see_or_rotate_keys(client, tenant_a, issuer_a, bob):
    client.force_login(bob)  # an issuer-role tutor of the same college
    assert client.get(f"/t/{tenant_a.slug}/settings/ob3-keys/").status_code == 404
    assert client.post(_rotate_url(tenant_a, issuer_a)).status_code == 404
    with tenant_scope(tenant_a):
        assert not AuditEntry.objects.filter(action="credential_key.rotate").exists()


def test_another_colleges_admin_gets_404(client, tenant_a, tenant_b, issuer_a, charlie):
    client.force_login(charlie)
    assert client.post(_rotate_url(tenant_b, issuer_a)).status_code == 404
    assert client.post(_rotate_url(tenant_a, issuer_a)).status_code == 404
