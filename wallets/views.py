"""The credential issuer's HTTP side (OpenID4VCI 1.0): the two metadata documents, the offer a
``credential_offer_uri`` names, the token, nonce and credential endpoints, and the page the award
email's "Add to wallet" link opens. Thin: ``wallets.services`` does the work.

Wallets call these from anywhere with no session or CSRF token: the POST endpoints are CSRF-exempt
and authenticated by what they are sent (a pre-authorized code, an access token).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from backpack.selectors import assertion_for_public_id
from wallets import metadata, pages, selectors, services
from wallets.errors import WalletError

MAX_BODY = 100_000


def _json(data: dict[str, Any], status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _error(exc: WalletError) -> JsonResponse:
    response = _json(exc.body(), exc.status)
    if exc.status == 401:
        response["WWW-Authenticate"] = f'Bearer error="{exc.error}"'
    return response


@require_safe
def credential_issuer_metadata(request: HttpRequest) -> JsonResponse:
    return JsonResponse(metadata.credential_issuer_metadata())


@require_safe
def authorization_server_metadata(request: HttpRequest) -> JsonResponse:
    return JsonResponse(metadata.authorization_server_metadata())


@require_safe
def offer(request: HttpRequest, link: str) -> JsonResponse:
    document = selectors.offer_document(link[:200])
    if document is None:
        return _json({"error": "not_found", "error_description": "This offer was used or has expired: open the "
                                                                  "badge's page for a new QR code."}, 404)
    return _json(document)


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> JsonResponse:
    try:
        return _json(services.wallet_token_grant(grant_type=request.POST.get("grant_type", ""),
                                                 code=request.POST.get("pre-authorized_code", "")[:200],
                                                 tx_code=request.POST.get("tx_code")))
    except WalletError as exc:
        return _error(exc)


@csrf_exempt
@require_POST
def nonce(request: HttpRequest) -> JsonResponse:
    return _json(services.wallet_nonce_create())


@csrf_exempt
@require_POST
def credential(request: HttpRequest) -> JsonResponse:
    scheme, _, access_token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not access_token.strip():
        return _error(WalletError("invalid_token", "Send the access token as Authorization: Bearer.", status=401))
    try:
        if len(request.body) > MAX_BODY:
            raise WalletError("invalid_credential_request", "The credential request is too large.")
        try:
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise WalletError("invalid_credential_request", "The credential request is not JSON.") from exc
        return _json(services.wallet_credential_issue(access_token=access_token.strip()[:200], request=body))
    except WalletError as exc:
        return _error(exc)


@require_safe
def add_from_email(request: HttpRequest, token: str) -> HttpResponse:
    """The award email's "Add to wallet" link: a fresh offer of that award (a deep link cannot wait in
    an inbox: offers live minutes, the email's link as long as its claim link)."""
    public_id = pages.email_token_read(token)
    assertion = assertion_for_public_id(public_id) if public_id else None
    if assertion is None:
        raise Http404("This link is not valid or has expired.")
    try:
        panel = pages.offer_context(assertion)
    except ValidationError as exc:
        return render(request, "wallets/add.html", {"assertion": assertion, "refused": " ".join(exc.messages),
                                                    "brand_tenant": assertion.tenant}, status=410)
    return render(request, "wallets/add.html", {"assertion": assertion, "brand_tenant": assertion.tenant, **panel})


