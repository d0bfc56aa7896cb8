"""The award email: the learner's name, the badge (linked, not attached), what it means, the issuer,
a button to claim it, and links to add it to LinkedIn and download it. HTML and plain text.

``award_message`` builds one the usual way. ``AwardMessages`` builds a batch's: rendering two
templates and writing the MIME message cost about 1 ms per email, yet between learners of one
badge only a name, four links, the address and two ids differ. So each badge's email is written
once with markers where those go, and each learner's copy is that with the markers replaced
(``tests/assertions/test_award_email.py`` checks the two ways give the same message).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from email.utils import formataddr, make_msgid, parseaddr
from typing import Any, cast

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils.html import escape

from assertions import links
from assertions.models import Assertion
from assertions.queue import pipeline_queue
from assertions.selectors import awards_with_badges
from issuers.models import OutboxEmail
from issuers.outbox import EmailKind, send_scratch
from issuers.registry import Registry

# The layers above add a link of their own to the email (wallets: "Add to a wallet"), per award.
AWARD_EMAIL_LINKS: Registry[Callable[[Assertion], str]] = Registry("the award email's 'Add to a wallet' link")


def award_context(assertion: Assertion) -> dict[str, Any]:
    badge = assertion.badge_class
    tenant = assertion.tenant
    return {
        "assertion": assertion,
        "badge": badge,
        "issuer": badge.issuer,
        "tenant": tenant,
        **learner_values(assertion),
        "image_url": links.badge_png_url(assertion),
        "colour": tenant.primary_colour,
        "brand": tenant.brand,
        "logo_url": _absolute(tenant.logo_url) if tenant.logo else "",
    }


def learner_values(assertion: Assertion) -> dict[str, Any]:
    """The part of ``award_context`` that differs between two learners of one badge (``LEARNER_FIELDS``):
    all a prepared email needs of its award (see ``AwardMessages``)."""
    return {
        "learner_name": assertion.recipient_name or "there",
        "claim_url": links.claim_url(assertion),
        "verify_url": links.verify_url(assertion),
        "download_url": links.download_url(assertion),
        "linkedin_url": links.linkedin_add_url(assertion),
        "wallet_url": next((link(assertion) for link in AWARD_EMAIL_LINKS), ""),
    }


def _absolute(url: str) -> str:
    return url if "://" in url else f"{settings.PUBLIC_BASE_URL}{url}"


def award_message(assertion: Assertion, *, connection: Any = None) -> EmailMultiAlternatives:
    context = award_context(assertion)
    return _message(assertion, context, context, to=assertion.recipient_identity,
                    public_id=str(assertion.public_id), connection=connection)


def _message(assertion: Assertion, text_context: dict[str, Any], html_context: dict[str, Any], *, to: str,
             public_id: str, connection: Any) -> EmailMultiAlternatives:
    tenant = assertion.tenant
    reply_to = tenant.reply_to_email or tenant.contact_email
    message = EmailMultiAlternatives(
        subject=_one_line(f"You've earned a badge: {assertion.badge_class.name}"),
        body=render_to_string("assertions/email/award.txt", text_context),
        # formataddr quotes the college's name: a comma or quote in it must not split the address.
        from_email=formataddr((_one_line(f"{tenant.name} via Badge Platform"), _address(settings.DEFAULT_FROM_EMAIL))),
        to=[to],
        reply_to=[formataddr((_one_line(tenant.name), reply_to))] if reply_to else None,
        connection=connection,
        headers={"X-Badge-Assertion": public_id},
    )
    message.attach_alternative(render_to_string("assertions/email/award.html", html_context), "text/html")
    return message


# What differs between two learners' emails of one badge (see the module docstring).
LEARNER_FIELDS = ("learner_name", "claim_url", "linkedin_url", "download_url", "verify_url", "wallet_url")
# A value that cannot change how the message is encoded: printable ASCII (no 8bit body, no encoded
# header) and short enough that no line nears SMTP's 998-octet limit. Anything else is built the usual way.
_PLAIN_VALUE = re.compile(r"[\x20-\x7e]{0,800}")
# A learner's name that is not ASCII (Zoë, Siân: one learner in ten in a college's cohort) makes each
# part holding it 8bit UTF-8 instead of 7bit: such names are filled into a prototype written with a
# name that is not ASCII either (``_WIDE``), so its parts are 8bit already. Printable, and at most 800
# octets in UTF-8, as for the plain values.
_WIDE_NAME = re.compile(r"[^\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]{1,800}")
_WIDE = "\u00ff"
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9.-]{1,190}")
_MESSAGE_ID = re.compile(rb"^Message-ID: <[^>\r\n]*>\r$", re.MULTILINE)
_TO, _PUBLIC_ID = "learner.zzbpto@example.invalid", "zzbpidzz"


class PreparedEmail(EmailMultiAlternatives):
    """An email whose bytes on the wire are already written (``prepared``, CRLF line ends). The SMTP
    backend of ``settings.EMAIL_BACKEND`` sends those; any other backend sees an ordinary message."""

    prepared: bytes = b""


class _Prototype:
    def __init__(self, assertion: Assertion, *, wide: bool = False) -> None:
        # No "assertion" in the prototype: a template that read one learner's award directly would put
        # it in every learner's email. (It would read as empty here, and the equality test would fail.)
        # ``wide``: the learner's name marker is not ASCII (see _WIDE_NAME), nor are the parts holding it.
        self.wide = wide
        context = {**award_context(assertion), "assertion": None}
        # A field empty here (no wallet link registered) stays empty: a template may show it or not.
        self.empty = {name for name in LEARNER_FIELDS if not context[name]}
        self.names = [f"zzbp{part}{i}zz" + (_WIDE if wide and i == 0 else "")
                      for part in "th" for i in range(len(LEARNER_FIELDS))]
        count = len(LEARNER_FIELDS)
        text = {**context, **{name: self.names[i] for i, name in enumerate(LEARNER_FIELDS) if name not in self.empty}}
        html = {**context, **{name: self.names[count + i] for i, name in enumerate(LEARNER_FIELDS)
                              if name not in self.empty}}
        self.message = _message(assertion, text, html, to=_TO, public_id=_PUBLIC_ID, connection=None)
        # Django 5.2's message() is a SafeMIMEMultipart, whose as_bytes() takes linesep; the stubs describe 6.0's.
        wire = self.message.message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]
        boundary = re.search(rb'boundary="([^"]+)"', wire)
        self.boundary = boundary.group(1).decode() if boundary else ""
        # Quoted-printable or base64 would break markers across lines; a wire format with a marker
        # more or less than expected is not what this class was written for. Either: no shortcut.
        self.usable = (bool(self.boundary) and b"quoted-printable" not in wire and b"base64" not in wire
                       and wire.count(_TO.encode()) == 1 and wire.count(_PUBLIC_ID.encode()) == 1
                       and len(_MESSAGE_ID.findall(wire)) == 1)
        self.wire = wire.decode("utf-8", "surrogateescape")  # 8bit parts are UTF-8 (Django's charset)
        if wide:  # the name's marker must be where the usual build would put the name, nowhere else
            self.usable = self.usable and all(self.wire.count(name) == self.wire.count(name[:-1])
                                              for name in (self.names[0], self.names[len(LEARNER_FIELDS)]))
        markers = re.compile("(" + "|".join(re.escape(marker) for marker in [_TO, _PUBLIC_ID, *self.names]) + ")")
        # Each text cut once at its markers (a split with the group keeps them at the odd places): a learner's
        # copy is the pieces joined with the markers replaced, with no regular expression run per email.
        self.body = markers.split(cast(str, self.message.body))
        self.html = markers.split(cast(str, self.message.alternatives[0][0]))  # the HTML we attached
        self.wire_pieces = markers.split(self.wire)

    def plain(self, index: int, value: str) -> bool:
        """Whether ``value`` cannot change how this prototype's message is encoded."""
        if self.wide and index == 0:
            return not value.isascii() and bool(_WIDE_NAME.fullmatch(value)) and len(value.encode()) <= 800
        return bool(_PLAIN_VALUE.fullmatch(value))

    def fill(self, assertion: Assertion, connection: Any) -> PreparedEmail | None:
        context = learner_values(assertion)
        values = [str(context[name]) for name in LEARNER_FIELDS]
        if {name for name, value in zip(LEARNER_FIELDS, values, strict=True) if not value} != self.empty:
            return None
        to = assertion.recipient_identity
        if not (_PLAIN_ADDRESS.fullmatch(to) and all(self.plain(i, v) and self.boundary not in v
                                                      for i, v in enumerate(values))):
            return None
        public_id = str(assertion.public_id)
        replacements = {_TO: to, _PUBLIC_ID: public_id}
        count = len(LEARNER_FIELDS)
        for i, value in enumerate(values):
            replacements[self.names[i]] = value
            replacements[self.names[count + i]] = escape(value)

        def fill_in(pieces: list[str]) -> str:
            filled = pieces[:]
            filled[1::2] = [replacements[marker] for marker in pieces[1::2]]
            return "".join(filled)

        proto = self.message
        message = PreparedEmail(subject=proto.subject, body=fill_in(self.body), from_email=proto.from_email,
                                to=[to], reply_to=proto.reply_to, connection=connection,
                                headers={"X-Badge-Assertion": public_id})
        message.attach_alternative(fill_in(self.html), "text/html")
        wire = fill_in(self.wire_pieces).encode("utf-8", "surrogateescape")
        message_id = f"Message-ID: {make_msgid(domain=DNS_NAME)}\r".encode()
        message.prepared = _MESSAGE_ID.sub(lambda _: message_id, wire, count=1)
        return message


class AwardMessages:
    """The award emails of one batch, each badge's written once (see the module docstring)."""

    def __init__(self) -> None:
        self._prototypes: dict[tuple[int, bool], _Prototype] = {}

    def message(self, assertion: Assertion, *, connection: Any = None) -> EmailMultiAlternatives:
        key = (assertion.badge_class_id, not assertion.recipient_name.isascii())
        proto = self._prototypes.get(key)
        if proto is None:
            proto = self._prototypes[key] = _Prototype(assertion, wide=key[1])
        prepared = proto.fill(assertion, connection) if proto.usable else None
        return prepared or award_message(assertion, connection=connection)


def _address(from_email: str) -> str:
    return parseaddr(from_email)[1] or from_email


def _one_line(text: str) -> str:
    """Headers are one line: a newline in a name would make Django refuse the whole message."""
    return " ".join(text.split())


# --- the award emails' kind in the outbox (registered in AssertionsConfig.ready) ------------------------

def _awards_of(emails: list[OutboxEmail]) -> QuerySet[Assertion]:
    return Assertion.objects.filter(mail_id__in=[e.pk for e in emails])


def award_emails_ready(emails: list[OutboxEmail], secrets: Mapping[str, str]) -> list[OutboxEmail]:
    """An award's email goes once its image is baked (or failed to), and never for a revoked award."""
    ready = set(_awards_of(emails).filter(revoked=False).exclude(bake_status=Assertion.BakeStatus.PENDING)
                .values_list("mail_id", flat=True))
    return [e for e in emails if e.pk in ready]


def award_emails_build(emails: list[OutboxEmail], secrets: Mapping[str, str]) -> dict[uuid.UUID, EmailMessage | str]:
    """A batch's messages, each badge's written once per send (``AwardMessages``, kept from one chunk to
    the next in the send's scratch: a badge's two prototypes cost as much as some fifty filled-in copies)."""
    messages = send_scratch(Assertion.EMAIL_KIND).setdefault("messages", AwardMessages())
    built = dict[uuid.UUID, EmailMessage | str]()
    for assertion in awards_with_badges(_awards_of(emails).order_by("pk"), tenant=True):
        assert assertion.mail_id is not None  # found by it
        built[assertion.mail_id] = ("The award was revoked before its email went out." if assertion.revoked
                                    else messages.message(assertion))
    return built


def award_emails_requeue(emails: list[OutboxEmail]) -> None:
    """The sweep found award emails no worker took: the pipeline bakes what is not baked, then sends."""
    for tenant_id, ids in _group(_awards_of(emails).order_by("pk").values_list("tenant_id", "pk")).items():
        pipeline_queue(tenant_id=tenant_id, assertion_ids=ids)


def _group(pairs: Iterable[tuple[int, int]]) -> dict[int, list[int]]:
    groups: dict[int, list[int]] = {}
    for key, value in pairs:
        groups.setdefault(key, []).append(value)
    return groups


AWARD_EMAILS = EmailKind(name=Assertion.EMAIL_KIND, build=award_emails_build, ready=award_emails_ready,
                         requeue=award_emails_requeue)


# --- The revocation email: the learner told that a badge was revoked, and why -----------------------------


def revocation_message(assertion: Assertion) -> EmailMultiAlternatives:
    """Written when the tutor revokes (the outbox stores it and sends it as it is): the badge, the date it
    was awarded, the reason the tutor gave, and whom to ask."""
    tenant = assertion.tenant
    context = {**award_context(assertion), "reason": assertion.revocation_reason,
               "contact": tenant.reply_to_email or tenant.contact_email or assertion.badge_class.issuer.email}
    reply_to = tenant.reply_to_email or tenant.contact_email
    message = EmailMultiAlternatives(
        subject=_one_line(f"Your badge {assertion.badge_class.name} has been revoked"),
        body=render_to_string("assertions/email/revoked.txt", context),
        from_email=formataddr((_one_line(f"{tenant.name} via Badge Platform"), _address(settings.DEFAULT_FROM_EMAIL))),
        to=[assertion.recipient_identity],
        reply_to=[formataddr((_one_line(tenant.name), reply_to))] if reply_to else None,
        headers={"X-Badge-Assertion": str(assertion.public_id)},
    )
    message.attach_alternative(render_to_string("assertions/email/revoked.html", context), "text/html")
    return message


# Stored when queued and sent as stored: nothing to build at send time, nothing secret in it.
REVOCATION_EMAILS = EmailKind(name=Assertion.REVOCATION_EMAIL_KIND)
