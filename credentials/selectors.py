"""Reads of Open Badges 3.0 keys for the college admin's pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from credentials.did import issuer_did
from credentials.models import CredentialKey
from issuers.models import Issuer


@dataclass(frozen=True)
class IssuerKeys:
    issuer: Issuer
    did: str
    keys: list[CredentialKey]  # newest first: the one that signs, then the retired ones


def issuers_keys(issuers: QuerySet[Issuer]) -> list[IssuerKeys]:
    """Each issuer (those the member may see) with its Ed25519 keys, in two queries."""
    found = list(issuers.order_by("name", "pk"))
    keys: dict[int, list[CredentialKey]] = {issuer.pk: [] for issuer in found}
    for key in CredentialKey.objects.filter(issuer__in=found).order_by("-created_at", "-pk"):
        keys[key.issuer_id].append(key)
    return [IssuerKeys(issuer=issuer, did=issuer_did(issuer), keys=keys[issuer.pk]) for issuer in found]
