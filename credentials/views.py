"""The college admin's Open Badges 3.0 keys, under Settings: each issuer's Ed25519 keys, and rotating one
(after a confirmation page). Old public keys stay in the DID document, so credentials they signed keep
verifying."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from credentials import selectors
from credentials.keys import credential_key_rotate
from issuers import selectors as issuer_selectors
from issuers.http import StaffRequest
from issuers.permissions import admin_only


@admin_only
def keys(request: StaffRequest, tenant_slug: str) -> HttpResponse:
    issuers = issuer_selectors.membership_issuers(request.membership)
    return render(request, "credentials/keys.html", {"rows": selectors.issuers_keys(issuers)})


@admin_only
def key_rotate(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    """GET: what rotating means, and a button; POST: rotate."""
    issuer = get_object_or_404(issuer_selectors.membership_issuers(request.membership), public_id=public_id)
    if request.method == "POST":
        credential_key_rotate(issuer=issuer, actor=request.user)
        messages.success(request, f"A new Open Badges 3.0 key signs {issuer.name}'s credentials from now on; "
                                  "the earlier keys stay published, so credentials already given out keep verifying.")
        return redirect("credentials:keys", tenant_slug=tenant_slug)
    (row,) = selectors.issuers_keys(issuer_selectors.membership_issuers(request.membership).filter(pk=issuer.pk))
    return render(request, "credentials/key_rotate.html", {"row": row})
