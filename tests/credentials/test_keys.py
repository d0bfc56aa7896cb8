"""Issuers' Ed25519 keys (credentials.keys): encrypted at rest, one active per issuer, rotation keeps
old public keys in the DID document, and the encryption key rotation re-encrypts them."""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.core.management import call_command

from credentials.did import did_document, did_web, did_web_document_url, issuer_did
from credentials.keys import credential_key_active, credential_key_rotate, private_key, signer
from credentials.models import CredentialKey
from credentials.multibase import multikey_from_public_key
from issuers.scoping import tenant_scope, unscoped


def test_the_private_key_is_stored_encrypted_and_matches_the_published_key(issuer_a, tenant_a):
    with tenant_scope(tenant_a):
        key = credential_key_active(issuer=issuer_a)
        private = private_key(key)
        raw = private.private_bytes_raw()
        assert raw not in bytes(key.private_key_encrypted)
        assert multikey_from_public_key(private.public_key()) == key.public_key_multibase
        assert credential_key_active(issuer=issuer_a) == key  # one active key, made once
        assert signer(key).verification_method == f"{issuer_did(issuer_a)}#{key.public_key_multibase}"


def test_rotation_signs_with_a_new_key_and_keeps_the_old_one_published(issuer_a, tenant_a, alice):
    with tenant_scope(tenant_a):
        old = credential_key_active(issuer=issuer_a)
        new = credential_key_rotate(issuer=issuer_a, actor=alice)
        assert credential_key_active(issuer=issuer_a) == new != old
        keys = list(CredentialKey.objects.filter(issuer=issuer_a).values_list("public_key_multibase", flat=True))
        document = did_document(issuer_a, keys, [])
        published = {m["publicKeyMultibase"] for m in document["verificationMethod"]}
        assert {old.public_key_multibase, new.public_key_multibase} <= published
        assert document["assertionMethod"] == [m["id"] for m in document["verificationMethod"]]


def test_rotating_the_encryption_key_re_encrypts_ed25519_keys_too(issuer_a, tenant_a, settings):
    with tenant_scope(tenant_a):
        key = credential_key_active(issuer=issuer_a)
        before = private_key(key).private_bytes_raw()
    settings.KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.KEY_ENCRYPTION_KEYS]
    call_command("rotate_encryption_key", stdout=None)
    settings.KEY_ENCRYPTION_KEYS = settings.KEY_ENCRYPTION_KEYS[:1]  # the old key is gone
    with unscoped("test: read the re-encrypted key"):
        assert private_key(CredentialKey.objects.get(pk=key.pk)).private_bytes_raw() == before


def test_did_web_names_the_issuers_public_url_and_resolves_back_to_it(issuer_a, settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    did = issuer_did(issuer_a)
    assert did == f"did:web:127.0.0.1%3A8000:public:issuers:{issuer_a.public_id}"
    assert did_web_document_url(did) == f"http://127.0.0.1:8000/public/issuers/{issuer_a.public_id}/did.json"
    assert did_web_document_url("did:web:badges.example.ac.uk") == "https://badges.example.ac.uk/.well-known/did.json"
    assert did_web("https://badges.example.ac.uk/public/issuers/x") == "did:web:badges.example.ac.uk:public:issuers:x"
