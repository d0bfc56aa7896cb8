"""Public Open Badges 3.0 documents: an award's credential (JSON-LD with its proof, the VC-JWT, the
baked image), and its issuer's DID document, status lists and revocation list. Read-only, across
tenants by design, cached like the OB 2.0 documents (``verification.publication``), so a revocation
shows in the status list and the revocation list on the very next request."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse

from assertions import documents
from assertions.models import Assertion
from credentials import services
from endorsements.models import EndorserProfile
from issuers.models import Issuer
from verification import publication
from verification.lean import ready_response
from verification.views import _TYPES, MAX_CACHED_IMAGE, _assertion_page, _get, public_view, wants_html

VC_MEDIA_TYPE = "application/vc+ld+json"


def _award(public_id: str) -> Assertion:
    return _get(Assertion, public_id, ("badge_class__issuer",))  # type: ignore[no-any-return]


@public_view
def credential(request: HttpRequest, public_id: str) -> HttpResponse:
    """The ``OpenBadgeCredential`` (``application/vc+ld+json``); a browser gets the badge's page. A
    revoked award's credential is still served: its status list says it is revoked."""
    if wants_html(request):
        return _assertion_page(request, public_id)

    def build() -> tuple[publication.Ready, int]:
        award = _award(public_id)
        body = documents.serialize(services.credential_signed(award, services.credential_record(award)))
        return publication.ready(body, f"{VC_MEDIA_TYPE}; charset=utf-8"), settings.PUBLIC_DOCUMENT_CACHE_SECONDS

    return ready_response(request, publication.cached(publication.credential_key(public_id), build))


@public_view
def credential_jwt(request: HttpRequest, public_id: str) -> HttpResponse:
    """The VC-JWT of the same credential, as ``text/plain`` (OB 3.0 section 8.2)."""

    def build() -> tuple[publication.Ready, int]:
        award = _award(public_id)
        body = services.credential_jwt(award, services.credential_record(award)).encode()
        return publication.ready(body, "text/plain; charset=utf-8"), settings.PUBLIC_DOCUMENT_CACHE_SECONDS

    return ready_response(request, publication.cached(publication.credential_jwt_key(public_id), build))


@public_view
def credential_image(request: HttpRequest, public_id: str) -> HttpResponse:
    """The badge image with the signed credential baked in (by the worker, or now if it has not yet)."""

    def build() -> tuple[publication.Ready, int]:
        award = _award(public_id)
        if award.revoked:
            raise Http404("This badge has been revoked.")
        data = services.credential_baked_image(award, services.credential_record(award))
        # A large image is not worth the cache's memory: read from storage each time.
        seconds = settings.PUBLIC_DOCUMENT_CACHE_SECONDS if len(data) <= MAX_CACHED_IMAGE else 0
        return publication.ready(data, _TYPES[award.badge_class.image_type]), seconds

    return ready_response(request, publication.cached(publication.credential_image_key(public_id), build))


def _did_json(document: dict[str, Any]) -> tuple[publication.Ready, int]:
    return (publication.ready(documents.serialize(document), "application/did+json"),
            settings.PUBLIC_DOCUMENT_CACHE_SECONDS)


@public_view
def did_document(request: HttpRequest, public_id: str) -> HttpResponse:
    """Where the issuer's did:web resolves: its keys, old ones too, under ``assertionMethod``. Cached:
    making a key (a rotation) tells the public-document cache."""
    return ready_response(request, publication.cached(publication.did_key(public_id), lambda: _did_json(
        services.issuer_did_document(_get(Issuer, public_id)))))


@public_view
def endorser_did_document(request: HttpRequest, public_id: str) -> HttpResponse:
    """Where an endorser's did:web resolves: the keys its EndorsementCredentials are signed with."""
    return ready_response(request, publication.cached(publication.endorser_did_key(public_id), lambda: _did_json(
        services.endorser_did_document(_get(EndorserProfile, public_id)))))


@public_view
def status_list(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    """The issuer's signed ``BitstringStatusListCredential`` ``number``."""

    def build() -> tuple[publication.Ready | None, int]:
        issuer = _get(Issuer, public_id)
        document = services.status_list_signed(issuer, number)
        if document is None:
            return None, 0
        body = documents.serialize(document)
        return publication.ready(body, f"{VC_MEDIA_TYPE}; charset=utf-8"), settings.PUBLIC_DOCUMENT_CACHE_SECONDS

    entry = publication.cached(publication.status_list_key(public_id, number), build)
    if entry is None:
        raise Http404("No such status list.")
    return ready_response(request, entry)


@public_view
def revocation_list(request: HttpRequest, public_id: str) -> HttpResponse:
    """The issuer's ``1EdTechRevocationList`` of revoked credentials (the VC-JWT's credentialStatus)."""

    def build() -> tuple[publication.Ready, int]:
        body = documents.serialize(services.revocation_list(_get(Issuer, public_id)))
        return publication.ready(body, "application/json; charset=utf-8"), settings.PUBLIC_DOCUMENT_CACHE_SECONDS

    return ready_response(request, publication.cached(publication.revocation_list_key(public_id), build))
