"""The Open Badges 3.0 API's outside client: a platform that registers (RFC 7591) and gets a learner's
tokens by the authorization code flow with PKCE, with Authlib's OAuth 2.0 client and PKCE code. Over
Django's test client (``connect``) for the API's own tests; the browser test drives Authlib's requests
session against a live server instead."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

PREFIX = "/ims/ob/v3p0"
READ = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly"
UPSERT = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert"
PROFILE_READ = "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.readonly"
PROFILE_UPDATE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.update"
ALL_SCOPES = f"{READ} {UPSERT} {PROFILE_READ} {PROFILE_UPDATE}"
REDIRECT = "https://lms.example/ob3/callback"


def registration(name: str = "Northgate LMS", scope: str = ALL_SCOPES, redirect: str = REDIRECT) -> dict[str, Any]:
    """What a platform sends to register (the fields OB 3.0 section 6 lists)."""
    return {"client_name": name, "client_uri": "https://lms.example/", "logo_uri": "https://lms.example/logo.png",
            "tos_uri": "https://lms.example/terms", "policy_uri": "https://lms.example/privacy",
            "software_id": "northgate-lms", "software_version": "4.2", "redirect_uris": [redirect],
            "token_endpoint_auth_method": "client_secret_basic", "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"], "scope": scope}


@dataclass
class Tokens:
    access_token: str
    refresh_token: str
    scope: str
    client_id: str
    client_secret: str

    def bearer(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.access_token}"}


def register(client, **kw) -> dict[str, Any]:  # noqa: ANN001 - Django's test client
    response = client.post(f"{PREFIX}/oauth/register", json.dumps(registration(**kw)), content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


def connect(client, user, *, scope: str = ALL_SCOPES, app: dict[str, Any] | None = None) -> Tokens:  # noqa: ANN001
    """Register (unless ``app`` is given), have ``user`` allow on the consent page, exchange the code."""
    app = app or register(client)
    verifier = generate_token(48)
    client.force_login(user)
    query = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": REDIRECT, "scope": scope,
             "state": "xyz", "code_challenge": create_s256_code_challenge(verifier), "code_challenge_method": "S256"}
    page = client.get(f"{PREFIX}/oauth/authorize", query)
    assert page.status_code == 200, page.content
    form = {**page.context["form"].initial, "allow": "Authorize"}
    form = {k: v for k, v in form.items() if v is not None}
    allowed = client.post(f"{PREFIX}/oauth/authorize", form)
    assert allowed.status_code == 302, allowed.content
    code = parse_qs(urlsplit(allowed["Location"]).query)["code"][0]
    client.logout()
    token = client.post(f"{PREFIX}/oauth/token", {
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier,
        "client_id": app["client_id"], "client_secret": app["client_secret"]})
    assert token.status_code == 200, token.content
    body = token.json()
    return Tokens(body["access_token"], body["refresh_token"], body["scope"], app["client_id"], app["client_secret"])
