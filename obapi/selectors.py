"""Reads of the Open Badges 3.0 API: the learner's credentials as the API returns them, their profile,
and the platforms they connected. A learner is reached only through their own token's user, so another
learner's credentials are never in reach (backpack.selectors finds only the user's own)."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Max, Min, Q
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, RefreshToken

from backpack import selectors as backpack
from backpack import services as backpack_services
from backpack.models import ImportedBadge
from obapi import scopes
from verification.baked import read_baked

OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


@dataclass
class Credential:
    """One credential as the API returns it: JSON-LD bytes (with its embedded proof) or a VC-JWT."""

    issued_on: datetime | None
    json: bytes | None = None
    jws: str | None = None


def _imported_credential(imported: ImportedBadge) -> tuple[bytes | None, str | None]:
    """An imported OB 3.0 credential exactly as it was given: its JSON or its VC-JWT (from a baked image,
    the credential baked into it)."""
    data = bytes(imported.original)
    if imported.source in (ImportedBadge.Source.PNG, ImportedBadge.Source.SVG):
        text = read_baked(data).strip()
        return (text.encode(), None) if text.startswith("{") else (None, text)
    if imported.source == ImportedBadge.Source.JSON:
        return data, None
    if imported.source == ImportedBadge.Source.JWS:
        return None, data.decode("ascii", "replace").strip()
    return None, None  # a URL: the credential lives with its issuer, not here


def learner_credential_items(user: Any, *, since: datetime | None = None) -> list[backpack.Item]:
    """The learner's Open Badges 3.0 credentials in the backpack's order: every award of ours (each has
    one) and every OB 3.0 import, not declined; with ``since``, only those issued after it."""
    items = []
    for item in backpack.backpack_items(user):
        imported = item.entry.imported
        if item.assertion is None and (imported is None or not imported.ob3
                                       or imported.source == ImportedBadge.Source.URL):
            continue
        if since is not None and (item.issued_on is None or item.issued_on <= since):
            continue
        items.append(item)
    return items


def credential_of(item: backpack.Item) -> Credential:
    """Ours as issued (the signed JSON-LD, the same bytes as its download); an import byte for byte."""
    if item.assertion is not None:
        signed, _, _ = backpack_services.ob3_download(item.assertion, "ob3-json")
        return Credential(issued_on=item.issued_on, json=signed)
    assert item.entry.imported is not None  # learner_credential_items keeps ours and OB 3.0 imports only
    data, jws = _imported_credential(item.entry.imported)
    return Credential(issued_on=item.issued_on, json=data, jws=jws)


def credentials_body(credentials: list[Credential]) -> bytes:
    """``GetOpenBadgeCredentialsResponse``, written by hand so each credential's JSON goes in byte for
    byte (a verifier of an imported credential's proof gets exactly what its issuer signed)."""
    documents = b",".join(c.json for c in credentials if c.json is not None)
    jws = ",".join(json.dumps(c.jws) for c in credentials if c.jws is not None).encode()
    return b'{"credential":[' + documents + b'],"compactJwsString":[' + jws + b"]}"


def profile_id(user: Any) -> str:
    """The learner's opaque, stable identifier in the API (never the database's sequence number)."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"obapi-profile:{user.pk}".encode(), hashlib.sha256).digest()
    return uuid.UUID(bytes=digest[:16], version=4).urn


def profile_document(user: Any) -> dict[str, Any]:
    """The learner's ``Profile``: what the profile scopes let a platform read."""
    profile: dict[str, Any] = {"@context": [OB3_CONTEXT], "type": "Profile", "id": profile_id(user),
                               "email": user.email}
    if user.name:
        profile["name"] = user.name
    return profile


@dataclass
class ConnectedPlatform:
    """A platform the learner let in, as Settings shows it."""

    client_id: str
    name: str
    redirect_host: str
    scopes: list[str]
    connected_at: datetime
    last_refreshed: datetime


def _host(uris: str) -> str:
    from urllib.parse import urlsplit

    first = (uris.split() or [""])[0]
    return urlsplit(first).hostname or first


def connected_platforms(user: Any) -> list[ConnectedPlatform]:
    """Every platform that holds a live token (access or refresh) of the learner, newest first."""
    live_access = AccessToken.objects.filter(user=user, application__isnull=False, expires__gt=timezone.now())
    live_refresh = RefreshToken.objects.filter(user=user, revoked__isnull=True)
    apps = Application.objects.filter(Q(pk__in=live_access.values("application_id"))
                                      | Q(pk__in=live_refresh.values("application_id")))
    platforms = []
    for app in apps:
        tokens = AccessToken.objects.filter(user=user, application=app)
        times = tokens.aggregate(first=Min("created"), last=Max("created"))
        granted = " ".join(tokens.values_list("scope", flat=True))
        platforms.append(ConnectedPlatform(
            client_id=app.client_id, name=app.name or "An unnamed platform", redirect_host=_host(app.redirect_uris),
            scopes=scopes.described(granted), connected_at=times["first"] or app.created,
            last_refreshed=times["last"] or app.created))
    platforms.sort(key=lambda p: p.connected_at, reverse=True)
    return platforms


def application_by_client_id(client_id: str) -> Application | None:
    return Application.objects.filter(client_id=client_id).first()
