"""Links that go out with an award: claim, LinkedIn, download. Built from the assertion alone."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote_plus

from django.conf import settings
from django.core import signing

from assertions.documents import public_url
from assertions.models import Assertion
from issuers.tokens import signed_dumps

_CLAIM_SALT = "assertions.claim"


def claim_token(assertion: Assertion) -> str:
    """Signed, so nothing secret is stored; the nonce lets a resend or a claim void earlier links."""
    return signed_dumps([str(assertion.public_id), assertion.claim_nonce], salt=_CLAIM_SALT)


def claim_token_read(token: str) -> tuple[str, str] | None:
    """``(assertion public id, nonce)`` of a genuine, unexpired token, else None."""
    try:
        public_id, nonce = signing.loads(token, salt=_CLAIM_SALT,
                                         max_age=settings.CLAIM_LINK_MAX_AGE_DAYS * 24 * 3600)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return str(public_id), str(nonce)


def claim_url(assertion: Assertion) -> str:
    return f"{settings.PUBLIC_BASE_URL}/claim/{claim_token(assertion)}/"


def credential_url(assertion_public_id: object, suffix: str = "") -> str:
    """The award's Open Badges 3.0 credential (``/jwt``: its VC-JWT; ``/image``: baked), served by the
    layers above from the same row."""
    return f"{settings.PUBLIC_BASE_URL}/public/credentials/{assertion_public_id}{suffix}"


def share_url(assertion: Assertion) -> str:
    """The learner's share page (HTML for people and link-preview crawlers alike)."""
    return share_url_of(assertion.public_id)


def share_url_of(assertion_public_id: object) -> str:
    return f"{settings.PUBLIC_BASE_URL}/s/{assertion_public_id}/"


def download_url(assertion: Assertion) -> str:
    return public_url("assertions", assertion.public_id, "/image")


def verify_url(assertion: Assertion) -> str:
    return public_url("assertions", assertion.public_id)


def badge_png_url(assertion: Assertion) -> str:
    """A PNG of the badge for email clients, which rarely show SVG."""
    return public_url("badges", assertion.badge_class.public_id, "/image") + "?format=png"


def linkedin_add_url(assertion: Assertion) -> str:
    """LinkedIn's "Add licence or certification" form, prefilled: ``urlencode`` of its fields, with what
    every award of a badge shares quoted once (``_quoted``)."""
    params: list[tuple[str, object]] = [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", assertion.badge_class.name),
        ("issueYear", assertion.issued_on.year),
        ("issueMonth", assertion.issued_on.month),
    ]
    # The college's LinkedIn page by its id (LinkedIn then shows its name and logo); its name otherwise.
    organisation_id = assertion.tenant.linkedin_organization_id
    organisation = ("organizationId", organisation_id) if organisation_id else (
        "organizationName", assertion.badge_class.issuer.name)
    expiry = [("expirationYear", assertion.expires.year), ("expirationMonth", assertion.expires.month)] \
        if assertion.expires else []
    shared = "&".join(f"{_quoted(key)}={_quoted(str(value))}" for key, value in params)
    rest = "&".join(f"{_quoted(key)}={_quoted(str(value))}" for key, value in (organisation, *expiry))
    # The award's own two: its URL (the same for every award up to its id) and its id, a UUID, which
    # quoting leaves as it is (quote_plus works a character at a time, so the pieces quote apart).
    public_id = str(assertion.public_id)
    url = verify_url(assertion)
    cert_url = f"{_quoted(url[:-len(public_id)])}{public_id}" if url.endswith(public_id) else quote_plus(url)
    return f"https://www.linkedin.com/profile/add?{shared}&certUrl={cert_url}&certId={quote_plus(public_id)}&{rest}"


@lru_cache(maxsize=512)
def _quoted(text: str) -> str:
    return quote_plus(text)
