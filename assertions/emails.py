"""The award email: the learner's name, the badge (linked, not attached), what it means, the issuer,
a button to claim it, and links to add it to LinkedIn and download it. HTML and plain text."""

from __future__ import annotations

from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from assertions import links
from assertions.models import Assertion


def award_context(assertion: Assertion) -> dict[str, Any]:
    badge = assertion.badge_class
    tenant = assertion.tenant
    return {
        "assertion": assertion,
        "badge": badge,
        "issuer": badge.issuer,
        "tenant": tenant,
        "learner_name": assertion.recipient_name or "there",
        "image_url": links.badge_png_url(assertion),
        "claim_url": links.claim_url(assertion),
        "verify_url": links.verify_url(assertion),
        "download_url": links.download_url(assertion),
        "linkedin_url": links.linkedin_add_url(assertion),
        "colour": tenant.primary_colour,
        "logo_url": _absolute(tenant.logo.url) if tenant.logo else "",
    }


def _absolute(url: str) -> str:
    return url if "://" in url else f"{settings.PUBLIC_BASE_URL}{url}"


def award_message(assertion: Assertion, *, connection: Any = None) -> EmailMultiAlternatives:
    context = award_context(assertion)
    tenant = assertion.tenant
    reply_to = tenant.reply_to_email or tenant.contact_email
    message = EmailMultiAlternatives(
        subject=_one_line(f"You've earned a badge: {assertion.badge_class.name}"),
        body=render_to_string("assertions/email/award.txt", context),
        # formataddr quotes the college's name: a comma or quote in it must not split the address.
        from_email=formataddr((_one_line(f"{tenant.name} via Badge Platform"), _address(settings.DEFAULT_FROM_EMAIL))),
        to=[assertion.recipient_identity],
        reply_to=[formataddr((_one_line(tenant.name), reply_to))] if reply_to else None,
        connection=connection,
        headers={"X-Badge-Assertion": str(assertion.public_id)},
    )
    message.attach_alternative(render_to_string("assertions/email/award.html", context), "text/html")
    return message


def _address(from_email: str) -> str:
    return parseaddr(from_email)[1] or from_email


def _one_line(text: str) -> str:
    """Headers are one line: a newline in a name would make Django refuse the whole message."""
    return " ".join(text.split())
