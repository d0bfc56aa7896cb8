"""What this app adds to pages of the layers below, through the registries they own: the "Add to
a wallet" panel of the backpack's badge page (``backpack.panels.BADGE_PANELS``) and the award email's
link (``assertions.emails.AWARD_EMAIL_LINKS``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.template.loader import render_to_string

from assertions.models import Assertion
from issuers.dates import public_timestamp
from issuers.tokens import signed_dumps
from wallets import selectors, services

_EMAIL_SALT = "wallets.email"


def offer_context(assertion: Assertion) -> dict[str, Any]:
    """A new offer of ``assertion`` as the page shows it: the deep link, its QR code, the transaction code."""
    made = services.wallet_offer_create(assertion=assertion, tx_code=settings.WALLET_TX_CODE)
    import segno  # QR codes: imported on the page that draws one, not in every web worker

    qr = segno.make(made.deep_link, error="m").svg_inline(scale=4, border=2, omitsize=True,
                                                          title="QR code: scan it with your wallet app")
    minutes = int(services.OFFER_LIFETIME.total_seconds() // 60)
    return {"deep_link": made.deep_link, "qr": qr, "tx_code": made.tx_code, "minutes": minutes}


def badge_panel(request: HttpRequest, assertion: Assertion) -> str:
    """The badge page's wallet panel: a fresh offer, and when the badge was added to wallets before."""
    context: dict[str, Any] = {"assertion": assertion, "zone": assertion.tenant,
                               "deliveries": selectors.deliveries_of(assertion)}
    if not assertion.revoked:
        try:
            context.update(offer_context(assertion))
        except ValidationError as exc:
            context["refused"] = " ".join(exc.messages)
    return render_to_string("wallets/_panel.html", context, request=request)


def award_records(assertion: Assertion) -> dict[str, Any]:
    """For the learner's data export: each time a wallet took the award, in which format, bound to which DID."""
    return {"wallet_deliveries": [{"format": d.format, "bound_to": d.subject_id,
                                   "delivered_at": public_timestamp(d.delivered_at)}
                                  for d in selectors.deliveries_of(assertion)]}


def email_token(assertion: Assertion) -> str:
    return signed_dumps(str(assertion.public_id), salt=_EMAIL_SALT)  # signing.dumps(compress=True), leaner


def email_token_read(token: str) -> str | None:
    try:
        return str(signing.loads(token, salt=_EMAIL_SALT, max_age=settings.CLAIM_LINK_MAX_AGE_DAYS * 24 * 3600))
    except (signing.BadSignature, ValueError, TypeError):
        return None


def email_link(assertion: Assertion) -> str:
    """The award email's "Add to wallet" link (a page that makes a fresh offer when opened)."""
    return f"{settings.PUBLIC_BASE_URL}/wallet/add/{email_token(assertion)}/"
