"""Public Open Badges documents and images. Read-only; no login; across tenants by design."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_safe

from assertions import documents
from assertions.models import Assertion
from assertions.pipeline import assertion_bake
from badges.models import BadgeClass
from endorsements.documents import endorsement_document, endorsement_urls, endorser_document, live_endorsements
from endorsements.models import Endorsement, EndorserProfile
from issuers.models import Issuer, SigningKey, Tenant
from issuers.scoping import unscoped
from verification import publication
from verification.forms import VerifyForm
from verification.lean import ready_response, wants_html
from verification.models import RemovedDocument
from verification.ratelimit import busy, rate_limited, too_many_requests
from verification.tasks import record_verification
from verification.verifier import CollectionVerification, Verification, verify, verify_collection


def _json(request: HttpRequest, doc: dict[str, Any], *, status: int = 200) -> HttpResponse:
    return ready_response(request, publication.ready(documents.serialize(doc), JSON_LD, status))


JSON_LD = "application/ld+json; charset=utf-8"


def _cached_json(request: HttpRequest, key: str, build: Callable[[], tuple[dict[str, Any], int]]) -> HttpResponse:
    """A JSON document through the public-document cache, which the lean path serves from next time."""

    def ready() -> tuple[publication.Ready, int]:
        doc, status = build()
        return publication.ready(documents.serialize(doc), JSON_LD, status), settings.PUBLIC_DOCUMENT_CACHE_SECONDS

    return ready_response(request, publication.cached(key, ready))


def _document(request: HttpRequest, doc: dict[str, Any], title: str, *, status: int = 200,
              context: dict[str, Any] | None = None) -> HttpResponse:
    if wants_html(request):
        response = render(request, "verification/document.html",
                          {"doc": doc, "title": title, **(context or {})}, status=status)
        response["Vary"] = "Accept"
        return response
    return _json(request, doc, status=status)


def removed_document(request: HttpRequest, removed: RemovedDocument) -> HttpResponse:
    """410 Gone for a document of a college deleted after offboarding, saying so (JSON or a page)."""
    if wants_html(request):
        response = render(request, "verification/removed.html", {"removed": removed}, status=410)
    else:
        response = JsonResponse({"detail": removed.message, "removed": True}, status=410)
        response["Access-Control-Allow-Origin"] = "*"
    response["Vary"] = "Accept"
    return response


def _get(model: type[Model], public_id: object, related: tuple[str, ...] = ()) -> Any:
    obj = model._default_manager.select_related(*related).filter(public_id=public_id).first()
    if obj is None:
        raise Http404("No such document.")
    return obj


def gone_when_removed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A public view whose ``public_id`` names a document of a college deleted after offboarding answers
    410 with the reason (``RemovedDocument``) where it would have answered 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Http404:
            public_id = kwargs.get("public_id")
            removed = RemovedDocument.objects.filter(public_id=public_id).first() if public_id else None
            if removed is None:
                raise
            return removed_document(request, removed)

    return wrapper


def public_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @gone_when_removed
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with unscoped("public verification documents: anyone may read a published badge"):
            return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return require_safe(wrapper)


@public_view
def issuer(request: HttpRequest, public_id: str) -> HttpResponse:
    if not wants_html(request):
        return _cached_json(request, publication.issuer_key(public_id),
                            lambda: (documents.issuer_document(_get(Issuer, public_id)), 200))
    obj = _get(Issuer, public_id)
    return _document(request, documents.issuer_document(obj), obj.name)


@public_view
def revocations(request: HttpRequest, public_id: str) -> HttpResponse:
    if not wants_html(request):
        return _cached_json(request, publication.revocations_key(public_id),
                            lambda: (documents.revocation_list_document(_get(Issuer, public_id)), 200))
    obj = _get(Issuer, public_id)
    return _document(request, documents.revocation_list_document(obj), f"Revoked badges of {obj.name}")


@public_view
def key(request: HttpRequest, public_id: str) -> HttpResponse:
    obj = _get(SigningKey, public_id, ("issuer",))
    return _document(request, documents.key_document(obj), f"Signing key of {obj.issuer.name}")


@public_view
def badge(request: HttpRequest, public_id: str) -> HttpResponse:
    if not wants_html(request):
        def build() -> tuple[dict[str, Any], int]:
            obj = _get(BadgeClass, public_id, ("issuer",))
            return documents.badge_document(obj, endorsements=endorsement_urls(obj)), 200

        return _cached_json(request, publication.badge_key(public_id), build)
    obj = _get(BadgeClass, public_id, ("issuer",))
    return _document(request, documents.badge_document(obj, endorsements=endorsement_urls(obj)), obj.name,
                     context={"endorsements": live_endorsements(obj)})


@public_view
def endorser(request: HttpRequest, public_id: str) -> HttpResponse:
    obj = _get(EndorserProfile, public_id)
    return _document(request, endorser_document(obj), obj.name)


@public_view
def endorser_image(request: HttpRequest, public_id: str) -> HttpResponse:
    obj = _get(EndorserProfile, public_id)
    if not obj.logo:
        raise Http404("This endorser has no logo.")
    with obj.logo.open("rb") as fh:
        return _file(fh.read(), "image/png")  # re-encoded as PNG when uploaded


@public_view
def endorsement(request: HttpRequest, public_id: str) -> HttpResponse:
    obj = _get(Endorsement, public_id, ("badge_class", "endorser"))
    return _document(request, endorsement_document(obj), f"{obj.endorser.name} endorses {obj.badge_class.name}",
                     status=410 if obj.withdrawn_at else 200)


@public_view
def assertion(request: HttpRequest, public_id: str) -> HttpResponse:
    """Served from the cache (one round trip for the JSON); see ``verification.publication``."""
    if wants_html(request):
        return _assertion_page(request, public_id)

    def build() -> tuple[dict[str, Any], int]:
        obj = _get(Assertion, public_id, ("badge_class__issuer", "signing_key"))
        return documents.assertion_document(obj), 410 if obj.revoked else 200

    return _cached_json(request, publication.json_key(public_id), build)


def _assertion_page(request: HttpRequest, public_id: str) -> HttpResponse:
    """The same verification result as /verify shows, for our assertion, cached like the JSON."""

    def build() -> tuple[Verification, int]:
        obj = _get(Assertion, public_id)
        result = verify(url=documents.public_url("assertions", obj.public_id))
        seconds = 300
        if obj.expires is not None:  # an award that expires must not be shown as valid after it
            seconds = max(0, min(seconds, int((obj.expires - result.checked_at).total_seconds())))
        return result, seconds

    result = publication.cached(publication.page_key(public_id), build)
    record_verification(assertion_public_id=result.our_assertion_id, verdict=result.verdict, source="public",
                        request=request)
    response = render(request, "verification/assertion.html", {
        "result": result, "form": VerifyForm(initial={"badge": result.assertion_url}),
        "again_url": request.path, "brand_tenant": _college_of(result),
        "title": (result.badge or {}).get("name") or "Badge verification",
    }, status=410 if result.verdict == "revoked" else 200)
    response["Vary"] = "Accept"
    return response


def _college_of(result: Verification) -> Tenant | None:
    """The college that issued one of our badges, for its logo and colour on the result (public facts:
    the badge names its issuer). Tenants are not scoped; the join reads no other row of the college."""
    if result.our_assertion_id is None:
        return None
    return Tenant.objects.filter(assertions__public_id=result.our_assertion_id).first()


# --- the employer's verify page ----------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def verify_page(request: HttpRequest) -> HttpResponse:
    """Paste a link or an assertion, or upload a baked image; or land here from a QR code (?url=)."""
    if request.method == "POST":
        form = VerifyForm(request.POST, request.FILES)
    elif request.GET.get("url"):
        form = VerifyForm({"badge": request.GET["url"]})
    else:
        return render(request, "verification/verify.html", {"form": VerifyForm()})
    if not form.is_valid():
        return render(request, "verification/verify.html", {"form": form}, status=400)
    retry_after = rate_limited(request)
    if retry_after is not None:
        return too_many_requests(retry_after, html=True, request=request)
    image = form.cleaned_data.get("image")
    recipient = form.cleaned_data.get("recipient") or None
    collection = None if image is not None else verify_collection(url=form.cleaned_data["badge"], recipient=recipient)
    if collection is not None:
        return _collection_result(request, collection)
    if image is not None:
        result = verify(image=image, recipient=recipient)
        source = "image"
    else:
        result = verify(text=form.cleaned_data["badge"], recipient=recipient)
        source = "page"
    if result.busy:
        return busy(html=True, request=request)
    record_verification(assertion_public_id=result.our_assertion_id, verdict=result.verdict, source=source,
                        request=request)
    again = result.input_text if result.input_text and len(result.input_text) < 20000 else None
    return render(request, "verification/verify.html", {
        "form": VerifyForm(), "result": result, "again": again, "brand_tenant": _college_of(result),
        "recipient_form": VerifyForm(initial={"badge": again}) if again else None,
    })


def _collection_result(request: HttpRequest, collection: CollectionVerification) -> HttpResponse:
    if collection.busy:
        return busy(html=True, request=request)
    for result in collection.results:
        record_verification(assertion_public_id=result.our_assertion_id, verdict=result.verdict, source="page",
                            request=request)
    return render(request, "verification/verify.html", {"form": VerifyForm(), "collection": collection})


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
    if request.GET.get("format") == "png" and obj.image_type == "svg" and obj.image_png:
        with obj.image_png.open("rb") as fh:  # for email clients, which rarely show SVG
            return _file(fh.read(), "image/png")
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
    def build() -> tuple[publication.Ready, int]:
        obj = _get(Assertion, public_id, ("badge_class__issuer", "signing_key"))
        if obj.revoked:
            raise Http404("This badge has been revoked.")
        if obj.baked_image and obj.baked_image.storage.exists(obj.baked_image.name):
            with obj.baked_image.open("rb") as fh:
                data = fh.read()
        else:
            data = assertion_bake(obj)
        # A large image is not worth the cache's memory: read from storage each time.
        seconds = settings.PUBLIC_DOCUMENT_CACHE_SECONDS if len(data) <= MAX_CACHED_IMAGE else 0
        return publication.ready(data, _TYPES[obj.badge_class.image_type]), seconds

    return ready_response(request, publication.cached(publication.image_key(public_id), build))


MAX_CACHED_IMAGE = 512 * 1024
