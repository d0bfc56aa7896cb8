"""Every property we publish survives JSON-LD expansion against the OB v2 context: a misspelt term
would be dropped silently by JSON-LD processors, so compare what goes in with what comes out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyld import jsonld

from tests.support import issue_to_learner

CONTEXT = json.loads((Path(__file__).resolve().parents[2] / "tools" / "ob2" / "openbadges-v2-context.json").read_text())
LD = {"HTTP_ACCEPT": "application/ld+json"}


def offline_loader(url: str, options: dict | None = None) -> dict:
    if url.rstrip("/") in {"https://w3id.org/openbadges/v2", "http://w3id.org/openbadges/v2"}:
        return {"contextUrl": None, "documentUrl": url, "document": CONTEXT}
    raise jsonld.JsonLdError(f"offline: refusing to load {url}", "loading document failed")


def _keys(doc, found=None):
    found = set() if found is None else found
    if isinstance(doc, dict):
        for k, v in doc.items():
            if not k.startswith("@") and k not in {"id", "type"}:
                found.add(k)
            _keys(v, found)
    elif isinstance(doc, list):
        for item in doc:
            _keys(item, found)
    return found


@pytest.mark.parametrize("signed", [False, True])
def test_every_published_property_survives_expansion(client, tenant_a, badge_a, issuer_a, signed):
    a = issue_to_learner(tenant_a, badge_a, verification_type="signed" if signed else "hosted",
               evidence=[{"id": "https://example.org/photo", "narrative": "Photo of the tower"}],
               narrative="Built on the first attempt.")
    with_revocation = issue_to_learner(tenant_a, badge_a)
    from assertions.services import assertion_revoke
    from issuers.scoping import tenant_scope

    with tenant_scope(tenant_a):
        assertion_revoke(assertion=with_revocation, reason="Issued in error")
    with tenant_scope(tenant_a):
        key_id = issuer_a.signing_keys.first().public_id
    urls = [
        f"/public/assertions/{a.public_id}",
        f"/public/assertions/{with_revocation.public_id}",
        f"/public/badges/{badge_a.public_id}",
        f"/public/issuers/{issuer_a.public_id}",
        f"/public/issuers/{issuer_a.public_id}/revocations",
        f"/public/keys/{key_id}",
    ]
    for url in urls:
        doc = client.get(url, **LD).json()
        expanded = jsonld.expand(doc, {"documentLoader": offline_loader})
        compacted = jsonld.compact(expanded, CONTEXT, {"documentLoader": offline_loader})
        lost = _keys(doc) - _keys(compacted)
        assert not lost, f"{url}: JSON-LD dropped {lost}"
