"""Public Open Badges documents and images. Read-only; no login; across tenants by design."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from assertions import documents
from assertions.models import Assertion
from assertions.tasks import assertion_bake
from badges.models import BadgeClass
from issuers.models import Issuer, SigningKey
from issuers.scoping import unscoped


def wants_html(request: HttpRequest) -> bool:
    """Browsers (text/html first) get a page; verifiers (JSON, */* or no Accept) get JSON-LD."""
    if request.GET.get("format") == "json":
        return False
    accept = request.headers.get("Accept", "")
    first = accept.split(",")[0].split(";")[0].strip().lower()
    return first in {"text/html", "application/xhtml+xml"}


def _json(request: HttpRequest, doc: dict[str, Any], *, status: int = 200) -> HttpResponse:
    body = documents.serialize(doc)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if status == 200 and request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, status=status, content_type="application/ld+json; charset=utf-8")
    response["ETag"] = etag
    response["Access-Control-Allow-Origin"] = "*"
    response["Vary"] = "Accept"
    response["Cache-Control"] = "public, max-age=60"
    return response


def _document(request: HttpRequest, doc: dict[str, Any], title: str, *, status: int = 200,
              context: dict[str, Any] | None = None) -> HttpResponse:
    if wants_html(request):
        response = render(request, "verification/document.html",
                          {"doc": doc, "title": title, **(context or {})}, status=status)
        response["Vary"] = "Accept"
        return response
    return _json(request, doc, status=status)


def _get(model: type, public_id: object, related: tuple[str, ...] = ()) -> Any:
    obj = model.objects.select_related(*related).filter(public_id=public_id).first()
    if obj is None:
        raise Http404("No such document.")
    return obj


def public_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with unscoped("public verification documents: anyone may read a published badge"):
            return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return require_safe(wrapper)


@public_view
def issuer(request: HttpRequest, public_id: str) -> HttpResponse:
    obj = _get(Issuer, public_id)
    return _document(request, documents.issuer_document(obj), obj.name)


@public_view
def revocations(request: HttpRequest, public_id: str) -> HttpResponse:
    obj = _get(Issuer, public_id)
    return _document(request, documents.revocation_list_document(obj), f"Revoked badges of {obj.name}")


@public_view
def key(request: HttpRequest, public_id: str) -> HttpResponse:
    obj = _get(SigningKey, public_id, ("issuer",))
    return _document(request, documents.key_document(obj), f"Signing key of {obj.issuer.name}")


@public_view
def badge(request: HttpRequest, public_id: str) -> HttpResponse:
    obj = _get(BadgeClass, public_id, ("issuer",))
    return _document(request, documents.badge_document(obj), obj.name)


@public_view
def assertion(request: HttpRequest, public_id: str) -> HttpResponse:
    obj = _get(Assertion, public_id, ("badge_class__issuer", "signing_key"))
    status = 410 if obj.revoked else 200
    return _document(request, documents.assertion_document(obj), obj.badge_class.name, status=status,
                     context={"assertion": obj})


def _file(data: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


@public_view
def badge_image(request: HttpRequest, public_id: str) -> HttpResponse:
    obj = _get(BadgeClass, public_id)
    with obj.image.open("rb") as fh:
        return _file(fh.read(), _TYPES[obj.image_type])


@public_view
def issuer_image(request: HttpRequest, public_id: str) -> HttpResponse:
    obj = _get(Issuer, public_id)
    if not obj.image:
        raise Http404("This issuer has no image.")
    with obj.image.open("rb") as fh:
        data = fh.read()
    return _file(data, "image/svg+xml" if data.lstrip().startswith(b"<") else "image/png")


@public_view
def assertion_image(request: HttpRequest, public_id: str) -> HttpResponse:
    obj = _get(Assertion, public_id, ("badge_class__issuer", "signing_key"))
    if obj.revoked:
        raise Http404("This badge has been revoked.")
    if obj.baked_image and obj.baked_image.storage.exists(obj.baked_image.name):
        with obj.baked_image.open("rb") as fh:
            data = fh.read()
    else:
        data = assertion_bake(obj)
    return _file(data, _TYPES[obj.badge_class.image_type])
