"""The one Open Badges verifier (2.0 and 3.0), used by the /verify page, the public assertion page and
the API.

Input: an assertion or credential URL, a compact JWS (OB 2.0) or VC-JWT (OB 3.0), assertion or
credential JSON, or a baked PNG/SVG carrying any of them, and optionally the candidate's email. The
OB 3.0 checks are in :mod:`verification.ob3`. Output: a :class:`Verification` with one verdict (valid, revoked, expired,
invalid), every check with a plain-language line, and what the badge means and who issued it.

Documents on our own ``PUBLIC_BASE_URL`` are built from the database (no HTTP); anyone else's are
fetched with :mod:`verification.fetch`. Both go through the same rules below. Every input is
untrusted: a failure becomes a failed check and the verdict "invalid", never an exception.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, Literal, NoReturn, overload
from urllib.parse import urljoin, urlsplit
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.conf import settings
from django.utils import timezone

from issuers.dates import public_timestamp, shown_day
from issuers.parsers import JSONTooDeep, loads
from verification.baked import UnbakeError, read_baked
from verification.fetch import Fetched, FetchError, fetch, time_limit
from verification.links import BadgeInput, linked_badges
from verification.ob3 import CredentialChecks, is_credential, is_vc_jwt, our_credential_jwt, our_ob3_document
from verification.summary import as_list as _as_list
from verification.summary import badge_summary, described_issuer, ob2_facts
from verification.summary import text as _text
from verification.summary import url as _url

logger = logging.getLogger(__name__)

MAX_TEXT_INPUT = 256 * 1024
JWS_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
OUR_PATH_RE = re.compile(
    r"^/public/(issuers|badges|assertions|keys|endorsements|endorsers|credentials)/([0-9a-fA-F-]{36})"
    r"(/revocations|/jwt|/did\.json|/status/[0-9]{1,6}|/credential-revocations)?$")
MAX_ENDORSEMENTS = 5

VALID, REVOKED, EXPIRED, INVALID = "valid", "revoked", "expired", "invalid"


@dataclass
class Check:
    name: str
    passed: bool
    message: str


@dataclass
class Verification:
    verdict: str
    checks: list[Check]
    badge: dict[str, Any] | None = None
    issuer: dict[str, Any] | None = None
    checked_at: datetime = field(default_factory=timezone.now)
    assertion_url: str | None = None  # the assertion's id, when it was read
    recipient_checked: bool = False
    # The candidate's email against the badge's recipient: None when no email was given. Beside the
    # verdict, never part of it: a genuine badge of someone else is still a genuine badge.
    recipient_matched: bool | None = None
    time_zone: str = "UTC"  # the issuing college's, for our own badges: how its dates are shown
    input_text: str | None = None  # what was verified, as text (for "verify again"); never personal data
    busy: bool = False  # not checked: this process was already verifying as many foreign badges as it may

    @property
    def valid(self) -> bool:
        """Genuine, in force, and (when an email was given) issued to that email: what to rely on."""
        return self.verdict == VALID and self.recipient_matched is not False

    def as_dict(self) -> dict[str, Any]:
        """The public JSON shape of ``POST /api/v1/verify/``."""
        return {
            "valid": self.valid,
            "verdict": self.verdict,
            "checks": [{"name": c.name, "passed": c.passed, "message": c.message} for c in self.checks],
            "badge": self.badge,
            "issuer": self.issuer,
            "recipient_matched": self.recipient_matched,
            "checked_at": public_timestamp(self.checked_at),
        }

    @property
    def headline(self) -> str:
        """The one line an employer reads first."""
        if self.verdict == VALID and self.recipient_matched is False:
            return "Genuine badge, but not issued to this email address"
        return {VALID: "Valid badge", REVOKED: "Revoked: not valid",
                EXPIRED: "Expired: no longer valid"}.get(self.verdict, "Not valid")

    @property
    def our_assertion_id(self) -> UUID | None:
        """Ours: the assertion's public id (an OB 3.0 credential's id names the same award)."""
        url = self.assertion_url or ""
        return our_public_id(url, "assertions") or our_public_id(url, "credentials")


class _Stop(Exception):
    """Raised after a failed check that the remaining checks depend on."""


class DocumentError(Exception):
    pass


class VerifierBusy(Exception):
    """Every slot for fetching other sites' badges in this process is taken."""


BUSY_MESSAGE = "The verifier is busy checking other badges; please try again in a few seconds."


class ForeignSlots:
    """How many verifications that fetch from other sites this process runs at once (at most
    ``settings.VERIFY_MAX_CONCURRENT``). Each may wait on a slow server up to its deadline; the bound
    keeps the process's other threads free for the rest of the site. Our own badges, read from the
    database, never take a slot."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.active = 0

    def try_acquire(self) -> bool:
        with self._lock:
            if self.active >= settings.VERIFY_MAX_CONCURRENT:
                return False
            self.active += 1
            return True

    def release(self) -> None:
        with self._lock:
            self.active -= 1


foreign_slots = ForeignSlots()


def our_public_id(url: str, kind: str) -> UUID | None:
    """The public id when ``url`` is one of our own public document URLs of ``kind``."""
    if not isinstance(url, str) or not url.startswith(settings.PUBLIC_BASE_URL + "/public/"):
        return None
    match = OUR_PATH_RE.match(url[len(settings.PUBLIC_BASE_URL):])
    if not match or match.group(1) != kind or match.group(3):
        return None
    try:
        return UUID(match.group(2))
    except ValueError:
        return None


# --- loading documents: ours from the database, others over safe HTTP ------------------------------


class Documents:
    """Loads Open Badges documents by URL, once each."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[dict[str, Any], int]] = {}
        self.branding: dict[str, dict[str, Any]] = {}
        self.time_zones: dict[str, str] = {}
        self.moved: dict[str, str] = {}  # an HTML page's URL -> the assertion it advertises
        self.fetched_remote = False
        self.holds_slot = False

    def get(self, url: str, what: str) -> tuple[dict[str, Any], int]:
        if not isinstance(url, str) or not url:
            raise DocumentError(f"The {what} has no address.")
        if url not in self._seen:
            local = self._local(url, what)
            self._seen[url] = local if local is not None else self._remote(url, what)
        return self._seen[url]

    def get_input(self, url: str) -> dict[str, Any] | str:
        """What a link given to the verifier leads to: a JSON document (kept, as by :meth:`get`), or the
        text of a compact JWS (a VC-JWT is served as ``text/plain``)."""
        if url in self._seen or url.startswith(settings.PUBLIC_BASE_URL + "/"):
            jwt = our_credential_jwt(url)
            return jwt if jwt is not None else self.get(url, "assertion")[0]
        response = self._fetch(url, "assertion", accept="application/vc+ld+json, application/ld+json, "
                               "application/json;q=0.9, text/plain;q=0.5")
        text = response.body[:MAX_TEXT_INPUT + 1].strip()
        if not text.startswith(b"{") and JWS_RE.match(text.decode("ascii", "replace")):
            return text.decode("ascii")
        self._seen[url] = self._parsed(response, url, "assertion")
        return self._seen[url][0]

    def _local(self, url: str, what: str) -> tuple[dict[str, Any], int] | None:
        base = settings.PUBLIC_BASE_URL + "/public/"
        if not url.startswith(base):
            return None
        match = OUR_PATH_RE.match(url[len(settings.PUBLIC_BASE_URL):])
        if not match:
            raise DocumentError(f"The {what} at {url} does not exist.")
        kind, public_id, suffix = match.group(1), match.group(2), match.group(3)
        from assertions import documents
        from assertions.models import Assertion
        from badges.models import BadgeClass
        from endorsements.documents import endorsement_document, endorsement_urls, endorser_document
        from endorsements.models import Endorsement, EndorserProfile
        from issuers.models import Issuer, SigningKey
        from issuers.scoping import unscoped

        with unscoped("verifying our own badges from the database, without HTTP"):
            try:
                if kind == "credentials" or (suffix and suffix != "/revocations"):
                    found = our_ob3_document(kind, public_id, suffix, self)
                    if found is not None:
                        return found
                elif kind == "assertions":
                    a = Assertion.objects.select_related("badge_class__issuer", "signing_key").filter(
                        public_id=public_id).first()
                    if a is not None:
                        return documents.assertion_document(a), 410 if a.revoked else 200
                elif kind == "badges":
                    b = BadgeClass.objects.select_related("issuer").filter(public_id=public_id).first()
                    if b is not None:
                        return documents.badge_document(b, endorsements=endorsement_urls(b)), 200
                elif kind == "endorsements":
                    e = Endorsement.objects.select_related("badge_class", "endorser").filter(
                        public_id=public_id).first()
                    if e is not None:
                        return endorsement_document(e), 410 if e.withdrawn_at else 200
                elif kind == "endorsers":
                    p = EndorserProfile.objects.filter(public_id=public_id).first()
                    if p is not None:
                        return endorser_document(p), 200
                elif kind == "keys":
                    k = SigningKey.objects.select_related("issuer").filter(public_id=public_id).first()
                    if k is not None:
                        return documents.key_document(k), 200
                else:
                    i = Issuer.objects.select_related("tenant").filter(public_id=public_id).first()
                    if i is not None:
                        if suffix:
                            return documents.revocation_list_document(i), 200
                        self.note_our_issuer(url, i)
                        return documents.issuer_document(i), 200
            except ValueError as exc:  # a malformed UUID
                raise DocumentError(f"The {what} at {url} does not exist.") from exc
        raise DocumentError(f"The {what} at {url} does not exist (it may have been deleted).")

    def note_our_issuer(self, issuer_id: str, issuer: Any) -> None:
        """Our issuer's college branding and time zone, for the result page, under the id its
        documents give it (the OB 2.0 profile's URL, the OB 3.0 did:web)."""
        tenant = issuer.tenant
        self.branding[issuer_id] = {"college": tenant.name, "colour": tenant.primary_colour,
                                    "logo": tenant.logo_url or None}
        self.time_zones[issuer_id] = tenant.timezone

    def revoked_context(self, url: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]] | None:
        """For our own revoked assertion: its badge class and issuer documents, and the facts of the
        award the public document no longer shows (issue, expiry, revocation), from the database."""
        public_id = our_public_id(url, "assertions")
        if public_id is None:
            return None
        from assertions import documents
        from assertions.models import Assertion
        from issuers.scoping import unscoped

        with unscoped("verifying our own badges from the database, without HTTP"):
            a = Assertion.objects.select_related("badge_class__issuer").filter(public_id=public_id).first()
            if a is None:
                return None
            issuer_url = documents.public_url("issuers", a.badge_class.issuer.public_id)
            issuer, _ = self.get(issuer_url, "issuer")
            from endorsements.documents import endorsement_urls

            facts = {"id": url, "issuedOn": public_timestamp(a.issued_on),
                     "expires": public_timestamp(a.expires) if a.expires else None}
            return (documents.badge_document(a.badge_class, endorsements=endorsement_urls(a.badge_class)), issuer,
                    facts)

    def revoked_at(self, url: str | None) -> str | None:
        """When we revoked our own assertion (OB 2.0 documents do not say), else None."""
        public_id = our_public_id(url or "", "assertions") or our_public_id(url or "", "credentials")
        if public_id is None:
            return None
        from assertions.models import Assertion
        from issuers.scoping import unscoped

        with unscoped("verifying our own badges from the database, without HTTP"):
            when = Assertion.objects.filter(public_id=public_id).values_list("revoked_at", flat=True).first()
        return public_timestamp(when) if when else None

    def _remote(self, url: str, what: str) -> tuple[dict[str, Any], int]:
        return self._parsed(self._fetch(url, what), url, what)

    def _fetch(self, url: str, what: str, *, accept: str | None = None) -> Fetched:
        if not self.holds_slot:
            if not foreign_slots.try_acquire():
                raise VerifierBusy
            self.holds_slot = True
        self.fetched_remote = True
        try:
            response = fetch(url) if accept is None else fetch(url, accept=accept)
            advertised = advertised_assertion(response) if what == "assertion" else None
            if advertised is not None:  # a badge's web page: follow its link to the assertion, once
                self.moved[url] = advertised
                response = fetch(advertised)
        except FetchError as exc:
            raise DocumentError(f"The {what} could not be fetched from {url}: {exc}") from exc
        if response.status not in (200, 410):
            raise DocumentError(f"The {what} at {url} could not be loaded (the server answered {response.status}).")
        return response

    @staticmethod
    def _parsed(response: Fetched, url: str, what: str) -> tuple[dict[str, Any], int]:
        doc, problem = parse_json(response.body)
        if doc is None:
            raise DocumentError(f"The {what} at {url} is not an Open Badges JSON document"
                                + (f": {problem}." if problem else "."))
        return doc, response.status


class _AlternateLinks(HTMLParser):
    """Collects ``<link rel="alternate" type="application/ld+json" href="...">`` from a web page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        values = {k.lower(): (v or "") for k, v in attrs}
        rel = values.get("rel", "").lower().split()
        kind = values.get("type", "").split(";")[0].strip().lower()
        if "alternate" in rel and kind in {"application/ld+json", "application/json"} and values.get("href"):
            self.found.append(values["href"].strip())


def advertised_assertion(response: Fetched) -> str | None:
    """The assertion a badge's HTML page advertises for verifiers, as an absolute http(s) URL, or None
    when the response is not a web page or names none."""
    kind = response.content_type.split(";")[0].strip().lower()
    if kind not in {"text/html", "application/xhtml+xml"} and not response.body.lstrip()[:1] == b"<":
        return None
    parser = _AlternateLinks()
    try:
        parser.feed(response.body[:MAX_TEXT_INPUT * 4].decode("utf-8", "replace"))
        parser.close()
    except (ValueError, AssertionError):  # markup the parser cannot read: no link
        return None
    for href in parser.found:
        url = urljoin(response.url, href)
        if url.startswith(("https://", "http://")) and url != response.url:
            return url
    return None


def parse_json(data: bytes | str) -> tuple[dict[str, Any] | None, str | None]:
    """The JSON object in ``data``, or None and, when there is more to say than "not JSON", why."""
    if len(data) > MAX_TEXT_INPUT * 4:
        return None, "it is too large"
    try:
        value = loads(data)  # depth-limited: a deeply nested document is refused, never a RecursionError
    except JSONTooDeep as exc:
        return None, exc.msg[0].lower() + exc.msg[1:]
    except ValueError:  # also UnicodeDecodeError
        return None, None
    return (value, None) if isinstance(value, dict) else (None, None)


# --- small, type-safe readers for untrusted documents ----------------------------------------------


def _has_type(doc: dict[str, Any], name: str) -> bool:
    types = doc.get("type", doc.get("@type"))
    types = types if isinstance(types, list) else [types]
    return any(isinstance(t, str) and (t == name or t.endswith(("#" + name, "/" + name))) for t in types)


def _time(value: Any) -> datetime | None:
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, tz=UTC)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _jws_payload(jws: str) -> Any:
    """The claims of a compact JWS, unverified (to tell an OB 2.0 signed badge from a VC-JWT)."""
    try:
        return loads(_b64url(jws.split(".")[1]))
    except (ValueError, IndexError, binascii.Error):
        return None


# --- recipient -------------------------------------------------------------------------------------


def recipient_matches(recipient: Any, candidate: str) -> bool:
    """Compare ``candidate`` with the assertion's (usually salted, hashed) recipient, in constant time."""
    if not isinstance(recipient, dict) or not isinstance(candidate, str) or not candidate.strip():
        return False
    identity = recipient.get("identity")
    if not isinstance(identity, str):
        return False
    salt = recipient.get("salt")
    if not isinstance(salt, str):
        salt = ""
    candidate = candidate.strip()
    if recipient.get("type", "email") == "email":
        candidate = candidate.lower()
    if recipient.get("hashed") in (True, "true"):
        algorithm, _, digest = identity.partition("$")
        if algorithm.lower() not in {"sha256", "md5"} or not digest:
            return False
        computed = hashlib.new(algorithm.lower(), (candidate + salt).encode(), usedforsecurity=False).hexdigest()
        return hmac.compare_digest(computed, digest.lower())
    return hmac.compare_digest(identity.strip().lower().encode(), candidate.lower().encode())


# --- the verification run --------------------------------------------------------------------------


class _Run(CredentialChecks):
    def __init__(self, recipient: str | None) -> None:
        self.docs = Documents()
        self.checks: list[Check] = []
        self.recipient = (recipient or "").strip() or None
        self.badge: dict[str, Any] | None = None
        self.issuer: dict[str, Any] | None = None
        self.assertion_url: str | None = None
        self.revoked = False
        self.expired = False
        self.busy = False
        self.input_text: str | None = None
        self.recipient_matched: bool | None = None
        self.time_zone = "UTC"

    @overload
    def check(self, name: str, passed: Literal[False], message: str) -> NoReturn: ...
    @overload
    def check(self, name: str, passed: bool, message: str, *, fatal: bool = True) -> None: ...

    def check(self, name: str, passed: bool, message: str, *, fatal: bool = True) -> None:
        """Record a check; a failed one stops the run (raises ``_Stop``) unless ``fatal=False``."""
        self.checks.append(Check(name, passed, message))
        if not passed and fatal:
            raise _Stop

    def load(self, url: Any, what: str, type_name: str) -> dict[str, Any]:
        if isinstance(url, dict):
            url = url.get("id")
        try:
            doc, _status = self.docs.get(url, what)
        except DocumentError as exc:
            self.check("documents", False, str(exc))
        if not _has_type(doc, type_name) and not (type_name == "Issuer" and _has_type(doc, "Profile")):
            self.check("documents", False, f"The {what} at {url} is not an Open Badges {type_name}.")
        return doc

    # ---- input -----------------------------------------------------------------------------------

    def run_text(self, text: str) -> None:
        text = text.strip()
        self.input_text = text if len(text) <= MAX_TEXT_INPUT else None
        if not text:
            self.check("documents", False, "Nothing was given to verify: paste a link, JSON or a signed badge.")
        if len(text) > MAX_TEXT_INPUT:
            self.check("documents", False, "The input is too large to be an Open Badges assertion.")
        if text.startswith("{"):
            assertion, problem = parse_json(text)
            if assertion is None:
                self.check("documents", False, f"The text is not valid JSON: {problem}." if problem else
                           "The text is not valid JSON (or is not a JSON object).")
            self.run_json(assertion)
        elif text.startswith(("https://", "http://")):
            self.run_link(text)
        elif JWS_RE.match(text):
            if is_vc_jwt(_jws_payload(text)):
                self.run_vc_jwt(text)
            else:
                self.run_signed(text)
        else:
            self.check("documents", False,
                       "This is not an Open Badges assertion: expected a link, assertion JSON or a signed badge.")

    def run_json(self, assertion: dict[str, Any]) -> None:
        if is_credential(assertion):
            self.run_credential(assertion)
            return
        verification = assertion.get("verification", assertion.get("verify"))
        kind = _text(verification.get("type")) if isinstance(verification, dict) else ""
        if kind.lower() in {"signedbadge", "signed"}:
            self.check("signature", False, "This signed badge was given without its signature, so it cannot be "
                       "trusted: verify the badge image or the signed text (JWS) instead.")
        url = _url(assertion.get("id"))
        if url is None:
            self.check("documents", False, "The assertion has no web address (id) where its issuer hosts it.")
        # A hosted assertion is trusted only as its issuer hosts it now: verify the hosted copy.
        self.run_hosted(url)

    def run_link(self, url: str) -> None:
        """A link: an assertion's, or one of our pages that shows one badge (share page, /verify?url=)."""
        linked = linked_badges(url)
        if linked is None:
            self.run_url(url)
            return
        if linked.collection is not None:
            self.check("documents", False, "This link is a collection of badges: each badge on it is verified "
                       "on its own.")
        if len(linked.badges) != 1 or linked.badges[0].url is None:
            self.check("documents", False, "This page shows no badge that can be verified.")
        self.run_hosted(linked.badges[0].url)

    # ---- hosted ----------------------------------------------------------------------------------

    def run_url(self, url: str) -> None:
        """A document's link: an OB 2.0 hosted assertion, an OB 3.0 credential (JSON), or a VC-JWT served
        as text."""
        try:
            found = self.docs.get_input(url)
        except DocumentError as exc:
            self.assertion_url = url
            self.check("documents", False, str(exc))
        if isinstance(found, str):
            if not is_vc_jwt(_jws_payload(found)):
                self.check("documents", False, "The link leads to a signed document that is not an Open Badges 3.0 "
                           "credential.")
            self.run_vc_jwt(found)
        elif is_credential(found):
            self.run_credential(found, fetched_from=url)
        else:
            self.run_hosted(url)

    def run_hosted(self, url: str) -> None:
        self.assertion_url = url
        try:
            assertion, status = self.docs.get(url, "assertion")
        except DocumentError as exc:
            self.check("documents", False, str(exc))
        url = self.assertion_url = self.docs.moved.get(url, url)  # a web page that advertises its assertion
        if assertion.get("revoked") in (True, "true") or status == 410:
            self.revoked = True
            reason = _text(assertion.get("revocationReason"), 300)
            self.check("documents", True, "The issuer's server answered for this badge.")
            context = self.docs.revoked_context(url)
            if context is not None:  # ours: say which badge was withdrawn (the public document no longer does)
                badge, issuer, facts = context
                self.describe(facts, badge, issuer)
            self.note_revocation(reason)
            self.check("revocation", False, "The issuer has revoked this badge" + (f": {reason}" if reason else "."),
                       fatal=False)
            return
        if not _has_type(assertion, "Assertion"):
            self.check("documents", False, "The link does not lead to an Open Badges assertion.")
        if assertion.get("id") != url:
            self.check("documents", False, "The assertion's id is not the address it was fetched from.")
        badge, issuer = self.load_badge_and_issuer(assertion)
        self.check_documents(assertion, badge, issuer)
        allowed, policy = self.hosted_origin_allowed(url, issuer)
        name = _text(issuer.get("name"), 200) or "its issuer"
        self.check("issuer", allowed, f"The badge is hosted at {_origin(url)}, which {name} {policy}."
                   if allowed else f"The badge is hosted at {_origin(url)}, which {name} does not name as its own "
                   "(its issuer is elsewhere): it may not be genuine.")
        self.check_revocation(issuer, url, required=False)
        self.check_expiry_and_recipient(assertion)

    def hosted_origin_allowed(self, url: str, issuer: dict[str, Any]) -> tuple[bool, str]:
        policy = issuer.get("verification")
        if isinstance(policy, dict):
            starts = [s for s in _as_list(policy.get("startsWith")) if isinstance(s, str) and s]
            origins = [o for o in _as_list(policy.get("allowedOrigins")) if isinstance(o, str) and o]
            if starts:
                return any(url.startswith(s) for s in starts), "lists as the place its badges are hosted"
            if origins:
                host = (urlsplit(url).netloc or "").lower()
                return host in {o.lower() for o in origins}, "lists as an allowed origin"
        issuer_id = issuer.get("id")
        return (isinstance(issuer_id, str) and _origin(issuer_id) == _origin(url),
                "uses for its own profile")

    # ---- signed ----------------------------------------------------------------------------------

    def run_signed(self, jws: str) -> None:
        head, body, signature = jws.split(".")
        try:
            header = loads(_b64url(head))
            payload = loads(_b64url(body))
            signature_bytes = _b64url(signature)
        except (ValueError, binascii.Error):
            self.check("documents", False, "The signed badge (JWS) is damaged and cannot be read.")
        if not isinstance(header, dict) or not isinstance(payload, dict):
            self.check("documents", False, "The signed badge (JWS) is damaged and cannot be read.")
        if header.get("alg") != "RS256":
            self.check("signature", False, "The badge is signed with an algorithm other than RS256, which Open "
                       "Badges 2.0 requires.")
        if not _has_type(payload, "Assertion"):
            self.check("documents", False, "The signed data is not an Open Badges assertion.")
        self.assertion_url = _url(payload.get("id"))
        verification = payload.get("verification")
        creator = verification.get("creator") if isinstance(verification, dict) else None
        creator = _url(creator) or _url(header.get("kid"))
        if creator is None:
            self.check("signature", False, "The signed badge does not say which key signed it.")
        try:
            key_doc, _ = self.docs.get(creator, "signing key")
        except DocumentError as exc:
            self.check("signature", False, f"The key that signed this badge could not be loaded. {exc}")
        public_key = _public_key(key_doc)
        if public_key is None:
            self.check("signature", False, "The signing key is not a valid RSA public key.")
        try:
            public_key.verify(signature_bytes, f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            self.check("signature", False, "The digital signature does not match the badge: it has been altered, "
                       "or it was not signed with the key it names.")
        badge, issuer = self.load_badge_and_issuer(payload)
        self.check_documents(payload, badge, issuer)
        issuer_id = issuer.get("id")
        listed = {_url(k) for k in _as_list(issuer.get("publicKey"))}
        # issuer_id is None only if the key names no owner either; _origin(None) then matches no origin.
        owned = key_doc.get("owner") == issuer_id and (
            creator in listed or _origin(creator) == _origin(issuer_id))  # type: ignore[arg-type]
        name = _text(issuer.get("name"), 200) or "the issuer"
        self.check("issuer", owned, f"The signing key belongs to {name}, the issuer of this badge." if owned
                   else f"The key that signed this badge does not belong to {name}: it may not be genuine.")
        self.check("signature", True, f"The digital signature is valid: the badge is exactly as {name} signed it.")
        self.check_revocation(issuer, self.assertion_url, required=True)
        self.check_expiry_and_recipient(payload)

    # ---- shared rules --------------------------------------------------------------------------

    def load_badge_and_issuer(self, assertion: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        badge = self.load(assertion.get("badge"), "badge", "BadgeClass")
        issuer = self.load(badge.get("issuer"), "issuer", "Issuer")
        self.describe(assertion, badge, issuer)
        return badge, issuer

    def check_documents(self, assertion: dict[str, Any], badge: dict[str, Any], issuer: dict[str, Any]) -> None:
        problems = []
        if not isinstance(assertion.get("recipient"), dict):
            problems.append("the assertion names no recipient")
        if _time(assertion.get("issuedOn")) is None:
            problems.append("the assertion has no valid issue date")
        if not _text(badge.get("name")):
            problems.append("the badge has no name")
        if badge.get("criteria") is None:
            problems.append("the badge has no criteria")
        if not _text(issuer.get("name")):
            problems.append("the issuer has no name")
        if problems:
            self.check("documents", False, "The badge's documents are incomplete: " + "; ".join(problems) + ".")
        self.check("documents", True, "The badge, its description and its issuer were found and are well-formed "
                   "Open Badges 2.0 documents.")

    def check_revocation(self, issuer: dict[str, Any], assertion_url: str | None, *, required: bool) -> None:
        name = _text(issuer.get("name"), 200) or "The issuer"
        list_url = issuer.get("revocationList")
        if not list_url:
            message = f"{name} has not revoked this badge." if not required else (
                f"{name} publishes no revocation list, so revocation cannot be ruled out; the signature is valid.")
            self.check("revocation", True, message)
            return
        try:
            revocations = self.load(list_url, "revocation list", "RevocationList")
        except _Stop:
            if required:
                raise
            self.checks.pop()
            self.check("revocation", True, f"{name} still publishes this badge (its revocation list is unavailable).")
            return
        for entry in _as_list(revocations.get("revokedAssertions")):
            entry_id = entry.get("id") if isinstance(entry, dict) else entry
            if assertion_url and entry_id == assertion_url:
                reason = _text(entry.get("revocationReason"), 300) if isinstance(entry, dict) else ""
                self.revoked = True
                self.note_revocation(reason)
                self.check("revocation", False, f"{name} has revoked this badge" + (f": {reason}" if reason else "."),
                           fatal=False)
                return
        self.check("revocation", True, f"{name} has not revoked this badge.")

    def check_expiry_and_recipient(self, assertion: dict[str, Any]) -> None:
        expires_raw = assertion.get("expires")
        if expires_raw is None:
            self.check("expiry", True, "This badge does not expire.")
        else:
            expires = _time(expires_raw)
            if expires is None:
                self.check("documents", False, "The badge's expiry date cannot be read.")
            elif expires <= timezone.now():
                self.expired = True
                self.check("expiry", False, f"This badge expired on {shown_day(expires, self.time_zone)}.", fatal=False)
            else:
                self.check("expiry", True, f"This badge is valid until {shown_day(expires, self.time_zone)}.")
        issued = _time(assertion.get("issuedOn"))
        if issued is not None and (issued - timezone.now()).total_seconds() > 86400:
            self.check("documents", False, "The badge's issue date is in the future.")
        if self.recipient is not None:
            matches = recipient_matches(assertion.get("recipient"), self.recipient)
            self.recipient_matched = matches
            self.check("recipient", matches,
                       "The email address you entered is the one this badge was issued to." if matches else
                       "The email address you entered is not the one this badge was issued to.", fatal=False)

    def note_revocation(self, reason: str) -> None:
        """The revocation's facts beside the badge: the reason, and when (known for our own badges)."""
        if self.badge is not None:
            self.badge["revocation_reason"] = reason
            self.badge["revoked_at"] = self.docs.revoked_at(self.assertion_url)

    def describe(self, assertion: dict[str, Any], badge: dict[str, Any], issuer: dict[str, Any]) -> None:
        facts = ob2_facts(assertion, badge, issuer, issued=_time(assertion.get("issuedOn")),
                          expires=_time(assertion.get("expires")), endorsements=self.endorsements(badge))
        self.badge = badge_summary(facts, assertion_url=self.assertion_url)
        self.issuer = described_issuer(issuer, facts.issuer_id, self.docs.branding.get(facts.issuer_id or ""))
        self.time_zone = self.docs.time_zones.get(facts.issuer_id or "", "UTC")

    def endorsements(self, badge: dict[str, Any]) -> list[dict[str, Any]]:
        """"Endorsed by ...": the badge class's endorsements that load and name it. Not a check: an
        endorsement that cannot be loaded is left out, it never makes the badge itself invalid."""
        found = []
        for url in _as_list(badge.get("endorsement"))[:MAX_ENDORSEMENTS]:
            try:
                doc, status = self.docs.get(url if isinstance(url, str) else "", "endorsement")
                claim = doc.get("claim")
                if not isinstance(claim, dict):
                    claim = {}
                if status != 200 or doc.get("revoked") or claim.get("id") != badge.get("id"):
                    continue
                endorser_url = doc.get("issuer")
                endorser, _ = self.docs.get(endorser_url if isinstance(endorser_url, str) else "", "endorser")
            except DocumentError:
                continue
            found.append({"name": _text(endorser.get("name"), 300), "url": _url(endorser.get("url")),
                          "comment": _text(claim.get("endorsementComment")),
                          "issued_on": _text(doc.get("issuedOn"), 40)[:10]})
        return found

    def result(self) -> Verification:
        failed = {c.name for c in self.checks if not c.passed} - {"recipient"}  # reported beside the verdict
        if failed - {"revocation", "expiry"} or not self.checks:
            verdict = INVALID
        elif self.revoked:
            verdict = REVOKED
        elif self.expired:
            verdict = EXPIRED
        else:
            verdict = VALID
        return Verification(verdict=verdict, checks=self.checks, badge=self.badge, issuer=self.issuer,
                            assertion_url=self.assertion_url, recipient_checked=self.recipient is not None,
                            recipient_matched=self.recipient_matched, time_zone=self.time_zone,
                            input_text=self.input_text, busy=self.busy)


def _public_key(key_doc: dict[str, Any]) -> rsa.RSAPublicKey | None:
    pem = key_doc.get("publicKeyPem")
    if not isinstance(pem, str) or len(pem) > 20000:
        return None
    try:
        key = load_pem_public_key(pem.encode())
    except (ValueError, TypeError):
        return None
    return key if isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048 else None


def _guarded(run: _Run, step: Any, *args: Any) -> Verification:
    try:
        with time_limit(settings.VERIFY_TOTAL_SECONDS):  # every fetch of this verification, together
            step(*args)
    except _Stop:
        pass
    except VerifierBusy:
        run.busy = True
        run.checks.append(Check("documents", False, BUSY_MESSAGE))
    except Exception:  # a verifier bug must not become a 500 or a "valid": report it as not verified
        logger.exception("verifier failed on an input")
        run.checks.append(Check("documents", False, "The badge could not be checked because of an internal error."))
    finally:
        if run.docs.holds_slot:
            foreign_slots.release()
            run.docs.holds_slot = False
    return run.result()


def verify(*, url: str | None = None, jws: str | None = None, assertion: str | dict[str, Any] | None = None,
           image: bytes | None = None, text: str | None = None, recipient: str | None = None) -> Verification:
    """Verify one badge given in exactly one form. Never raises for bad input."""
    run = _Run(recipient if isinstance(recipient, str) else None)
    given = [v for v in (url, jws, assertion, image, text) if v is not None]
    if len(given) != 1:
        return _guarded(run, run.check, "documents", False, "Give exactly one badge to verify: a link, a signed "
                        "badge (JWS), assertion JSON or a baked image.")
    if image is not None:
        if not isinstance(image, bytes | bytearray):
            return _guarded(run, run.check, "documents", False, "The image could not be read.")
        try:
            payload = read_baked(bytes(image))
        except UnbakeError as exc:
            return _guarded(run, run.check, "documents", False, str(exc))
        return _guarded(run, run.run_text, payload)
    if isinstance(assertion, dict):
        try:
            run.input_text = json.dumps(assertion, separators=(",", ":"))
        except (TypeError, ValueError, RecursionError):
            return _guarded(run, run.check, "documents", False, "The assertion JSON cannot be read.")
        return _guarded(run, run.run_json, assertion)
    value = given[0]
    if not isinstance(value, str):
        return _guarded(run, run.check, "documents", False, "The badge must be given as text: a link, JSON or a JWS.")
    if url is not None and not value.strip().startswith(("https://", "http://")):
        return _guarded(run, run.check, "documents", False, "Only http and https links can be verified.")
    if jws is not None and not JWS_RE.match(value.strip()):
        return _guarded(run, run.check, "documents", False, "This is not a compact JWS (three dot-separated parts).")
    return _guarded(run, run.run_text, value)


@dataclass
class CollectionVerification:
    """A collection page's link: every badge on it, each verified on its own."""

    name: str
    url: str
    results: list[Verification]
    checked_at: datetime = field(default_factory=timezone.now)

    @property
    def valid(self) -> bool:
        return bool(self.results) and all(r.valid for r in self.results)

    @property
    def busy(self) -> bool:
        return any(r.busy for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``POST /api/v1/verify/`` for a collection link."""
        return {"valid": self.valid, "collection": {"name": self.name, "url": self.url},
                "badges": [r.as_dict() for r in self.results], "checked_at": public_timestamp(self.checked_at)}


def _verify_input(badge: BadgeInput, recipient: str | None) -> Verification:
    if badge.image is not None:
        return verify(image=badge.image, recipient=recipient)
    return verify(text=badge.url if badge.url is not None else badge.text, recipient=recipient)


def verify_collection(*, url: str, recipient: str | None = None) -> CollectionVerification | None:
    """When ``url`` links to one of our collection pages: every badge it shows, verified; else None.
    A private or missing collection is one that shows no badge."""
    linked = linked_badges(url.strip()) if isinstance(url, str) else None
    if linked is None or linked.collection is None:
        return None
    return CollectionVerification(name=linked.collection, url=url.strip(),
                                  results=[_verify_input(b, recipient) for b in linked.badges])
