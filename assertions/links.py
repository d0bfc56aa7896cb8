"""Links that go out with an award: claim, LinkedIn, download. Built from the assertion alone."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core import signing

from assertions.documents import public_url
from assertions.models import Assertion

_CLAIM_SALT = "assertions.claim"


def claim_token(assertion: Assertion) -> str:
    """Signed, so nothing secret is stored; the nonce lets a resend or a claim void earlier links."""
    return signing.dumps([str(assertion.public_id), assertion.claim_nonce], salt=_CLAIM_SALT, compress=True)


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
    return f"{settings.PUBLIC_BASE_URL}/s/{assertion.public_id}/"


def download_url(assertion: Assertion) -> str:
    return public_url("assertions", assertion.public_id, "/image")


def verify_url(assertion: Assertion) -> str:
    return public_url("assertions", assertion.public_id)


def badge_png_url(assertion: Assertion) -> str:
    """A PNG of the badge for email clients, which rarely show SVG."""
    return public_url("badges", assertion.badge_class.public_id, "/image") + "?format=png"


def linkedin_add_url(assertion: Assertion) -> str:
    """LinkedIn's "Add licence or certification" form, prefilled."""
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": assertion.badge_class.name,
        "issueYear": assertion.issued_on.year,
        "issueMonth": assertion.issued_on.month,
        "certUrl": verify_url(assertion),
        "certId": str(assertion.public_id),
    }
    # The college's LinkedIn page by its id (LinkedIn then shows its name and logo); its name otherwise.
    organisation_id = assertion.tenant.linkedin_organization_id
    if organisation_id:
        params["organizationId"] = organisation_id
    else:
        params["organizationName"] = assertion.badge_class.issuer.name
    if assertion.expires:
        params["expirationYear"] = assertion.expires.year
        params["expirationMonth"] = assertion.expires.month
    return "https://www.linkedin.com/profile/add?" + urlencode(params)
