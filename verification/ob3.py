"""Open Badges 3.0 (``OpenBadgeCredential``, a W3C Verifiable Credential 2.0) in the one verifier.

:class:`CredentialChecks` is mixed into the verifier's run (``verification.verifier._Run``): the same
checks list, the same loading of documents (ours from the database, anyone else's through the safe
fetcher and its deadlines), the same verdicts. What OB 3.0 adds, in the order it is checked:

1. the form: contexts only from the bundled copies (an unknown one is "not valid", never fetched);
   every member spelled as its context's term (``compacted_form_problem``: a proof signs the RDF,
   so a member respelled as a full IRI would verify while we read nothing); the types;
2. the 1EdTech JSON schema (bundled, ``schema/``), with ``jsonschema``;
3. the proof: a ``DataIntegrityProof`` ``eddsa-rdfc-2022`` (``credentials.proof``, RDFC-1.0 in a
   bounded amount of work) or the VC-JWT's signature (``credentials.jwt``), by a key that is the
   issuer's: its controller is the issuer's id and the issuer lists it under ``assertionMethod``.
   Keys: ``did:key`` computed here; ``did:web`` and HTTPS controller documents fetched;
4. ``credentialStatus``: a ``BitstringStatusListEntry`` (the list credential fetched, its own proof
   checked, its bit read with ``credentials.statuslist``) or a ``1EdTechRevocationList``;
5. ``validFrom`` / ``validUntil``; the recipient (a hashed email ``identifier``), when asked.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn, Protocol, overload
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from credentials import jsonld as ob3_jsonld
from credentials import statuslist
from credentials.did import DidError, did_web_document_url
from credentials.jwt import jwt_header, jwt_verify
from credentials.multibase import MultibaseError, public_key_from_multikey
from credentials.proof import CRYPTOSUITE, PROOF_TYPE, proof_verify
from issuers.dates import public_timestamp, shown_day
from verification.summary import badge_summary, described_issuer, ob3_facts

if TYPE_CHECKING:
    from jsonschema import Draft201909Validator

    from verification.verifier import Documents

SCHEMA_FILE = Path(__file__).resolve().parent / "schema" / "ob_v3p0_achievementcredential_schema.json"
VC_V2 = ob3_jsonld.VC_V2
VC_V1 = "https://www.w3.org/2018/credentials/v1"
OB_CONTEXT_RE = re.compile(r"^https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.0\.\d+)?\.json$")
CLOCK_SKEW = timedelta(minutes=5)  # a validFrom a little ahead of our clock is another server's clock
MAX_PROOFS = 3
# JSON-LD compaction (the compacted-form check) costs about 2 ms per object in pyld, before RDFC's own
# limits (credentials.rdfc) apply: a real credential has a few dozen objects.
MAX_OBJECTS = 250


def is_credential(doc: Any) -> bool:
    """Whether a JSON document is a Verifiable Credential (OB 3.0) rather than an OB 2.0 document."""
    if not isinstance(doc, dict):
        return False
    context = doc.get("@context")
    first = context[0] if isinstance(context, list) and context else context
    return first in (VC_V2, VC_V1)


def is_vc_jwt(payload: Any) -> bool:
    """Whether the claims of a compact JWS are a VC-JWT (the credential itself, or VC 1.1's ``vc``)."""
    return isinstance(payload, dict) and (is_credential(payload) or isinstance(payload.get("vc"), dict))


def schema_formats(schema: Any) -> set[str]:
    """Every ``format`` the schema names (the 1EdTech schema: ``date`` and ``date-time``)."""
    if isinstance(schema, list):
        return set().union(*(schema_formats(v) for v in schema))
    if isinstance(schema, dict):
        found = {schema["format"]} if isinstance(schema.get("format"), str) else set()
        return found.union(*(schema_formats(v) for k, v in schema.items() if k != "format"))
    return set()


@cache
def _schema_validator() -> Draft201909Validator:
    """The schema's validator with its ``format``s enforced. jsonschema checks a format only if the package
    for it is installed and silently passes it otherwise (``date-time`` needs ``rfc3339_validator``), so a
    format the schema names without a checker here is a configuration error, not a pass."""
    # jsonschema and pyld are imported where a credential is checked: at import they were megabytes of
    # every web worker, most of which never verify one.
    from jsonschema import Draft201909Validator, FormatChecker

    schema = json.loads(SCHEMA_FILE.read_text())
    checker = FormatChecker()
    missing = schema_formats(schema) - set(checker.checkers)
    if missing:
        raise ImproperlyConfigured(f"jsonschema cannot check the formats {sorted(missing)} of the Open Badges 3.0 "
                                   "schema: install the locked requirements (rfc3339_validator for date-time).")
    return Draft201909Validator(schema, format_checker=checker)


def schema_problem(doc: dict[str, Any]) -> tuple[str | None, bool]:
    """The first 1EdTech JSON schema error, or None; and whether the credential passed only once its
    single values were read as one-element arrays (JSON-LD allows both; 1EdTech's validator, and
    ob3check, accept that with a warning)."""
    validator = _schema_validator()
    error = next(iter(sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))), None)
    if error is None:
        return None, False
    if next(validator.iter_errors(_arrays(doc)), None) is None:
        return None, True
    where = "/".join(str(p) for p in error.absolute_path) or "the credential"
    return f"{where}: {error.message[:300]}", False


_ARRAY_MEMBERS = {"type", "proof", "credentialSchema", "evidence", "termsOfUse", "alignment", "endorsement",
                  "identifier", "result", "resultDescription", "tag", "achievementType"}


def _arrays(value: Any) -> Any:
    if isinstance(value, list):
        return [_arrays(v) for v in value]
    if isinstance(value, dict):
        return {k: (_arrays(v) if isinstance(v, list) or k not in _ARRAY_MEMBERS or k == "achievementType"
                    else [_arrays(v)]) for k, v in value.items()}
    return value


def _normalised(value: Any) -> Any:
    """A JSON-LD value with the differences compaction may make (one value or a list of one, an IRI or
    an object holding only its id, an embedded context) taken out."""
    if isinstance(value, list):
        return _normalised(value[0]) if len(value) == 1 else [_normalised(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"id"}:
            return _normalised(value["id"])
        return {k: _normalised(v) for k, v in value.items() if k != "@context"}
    return value


def _first_difference(given: Any, compacted: Any, where: str) -> str | None:
    given, compacted = _normalised(given), _normalised(compacted)
    if isinstance(given, dict) and isinstance(compacted, dict):
        for name in given:
            if ":" in name or name not in compacted:  # an IRI for a member name is never a term here
                return f"{where}{name}"
            found = _first_difference(given[name], compacted[name], f"{where}{name}.")
            if found:
                return found
        extra = next((name for name in compacted if name not in given), None)
        return f"{where}{extra}" if extra else None
    if isinstance(given, list) and isinstance(compacted, list) and len(given) == len(compacted):
        for n, (a, b) in enumerate(zip(given, compacted, strict=True)):
            found = _first_difference(a, b, f"{where}{n}.")
            if found:
                return found
        return None
    if isinstance(given, str) and isinstance(compacted, str) and ":" in compacted and \
            given.endswith(compacted.split(":", 1)[1]):
        return None  # compaction may shorten an IRI with a prefix the context defines
    return None if given == compacted else where.rstrip(".") or "the credential"


def compacted_form_problem(doc: dict[str, Any]) -> str | None:
    """The first member not spelled as its context spells it (undefined, a full or compact IRI, an
    alias), or None. A Data Integrity proof signs the RDF: ``https://www.w3.org/2018/credentials#
    validUntil`` verifies like ``validUntil``, and a check reading ``validUntil`` would see nothing."""
    from pyld import jsonld as pyld

    try:
        expanded = pyld.expand(doc, {"documentLoader": ob3_jsonld.document_loader, "base": ""})
        compacted = pyld.compact(expanded, {"@context": doc.get("@context")},
                                 {"documentLoader": ob3_jsonld.document_loader, "base": ""})
    except (pyld.JsonLdError, TypeError, ValueError, KeyError, AttributeError, RecursionError):
        return "the credential"
    compacted.pop("@context", None)
    return _first_difference({k: v for k, v in doc.items() if k != "@context"}, compacted, "")


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def did_web_url(did: str) -> str | None:
    """Where a did:web's DID document is (``credentials.did``), on our own site as PUBLIC_BASE_URL
    spells it (so ours is read from the database), or None for a malformed did:web."""
    try:
        url = did_web_document_url(did)
    except DidError:
        return None
    parts, ours = urlsplit(url), urlsplit(settings.PUBLIC_BASE_URL)
    if parts.netloc.lower() == ours.netloc.lower():
        return f"{ours.scheme}://{ours.netloc}{parts.path}"
    return url


def identifier_matches(subject: Any, candidate: str) -> bool:
    """Compare ``candidate`` with the subject's email ``identifier`` (``sha256$`` + salt, or plain),
    in constant time."""
    if not isinstance(subject, dict) or not candidate.strip():
        return False
    candidate = candidate.strip().lower()
    for identity in _list(subject.get("identifier")):
        if not isinstance(identity, dict) or identity.get("identityType") != "emailAddress":
            continue
        value, salt = identity.get("identityHash"), identity.get("salt")
        if not isinstance(value, str):
            continue
        salt = salt if isinstance(salt, str) else ""
        if identity.get("hashed") in (True, "true"):
            algorithm, _, digest = value.partition("$")
            if algorithm.lower() not in {"sha256", "md5"} or not digest:
                continue
            computed = hashlib.new(algorithm.lower(), (candidate + salt).encode(), usedforsecurity=False).hexdigest()
            if hmac.compare_digest(computed, digest.lower()):
                return True
        elif hmac.compare_digest(value.strip().lower().encode(), candidate.encode()):
            return True
    return False


# --- ours, from the database (the documents the public credential views serve) --------------------


def our_ob3_document(kind: str, public_id: str, suffix: str | None, docs: Documents
                     ) -> tuple[dict[str, Any], int] | None:
    """Our own OB 3.0 document at ``/public/credentials/<id>`` or under ``/public/issuers/<id>/`` (DID
    document, status list, revocation list), built as ``verification.credential_views`` serves it;
    None when there is no such document. Runs unscoped (the caller's)."""
    from assertions.models import Assertion
    from credentials import services
    from credentials.did import issuer_did
    from issuers.models import Issuer

    if kind == "credentials":
        award = Assertion.objects.select_related("badge_class__issuer__tenant").filter(public_id=public_id).first()
        if award is None or suffix:
            return None
        docs.note_our_issuer(issuer_did(award.badge_class.issuer), award.badge_class.issuer)
        return services.credential_signed(award, services.credential_record(award)), 200
    issuer = Issuer.objects.select_related("tenant").filter(public_id=public_id).first()
    if issuer is None or kind != "issuers":
        return None
    docs.note_our_issuer(issuer_did(issuer), issuer)
    if suffix == "/did.json":
        return services.issuer_did_document(issuer), 200
    if suffix == "/credential-revocations":
        return services.revocation_list(issuer), 200
    if suffix and suffix.startswith("/status/"):
        status_list = services.status_list_signed(issuer, int(suffix.rsplit("/", 1)[1]))
        return (status_list, 200) if status_list is not None else None
    return None


def our_credential_jwt(url: str) -> str | None:
    """The VC-JWT at our ``/public/credentials/<id>/jwt``, from the database; None for any other URL."""
    from assertions.models import Assertion
    from credentials import services
    from issuers.scoping import unscoped

    prefix = settings.PUBLIC_BASE_URL + "/public/credentials/"
    public_id = url[len(prefix):-len("/jwt")] if url.startswith(prefix) and url.endswith("/jwt") else ""
    if not re.fullmatch(r"[0-9a-fA-F-]{36}", public_id):
        return None
    with unscoped("verifying our own badges from the database, without HTTP"):
        try:
            award = Assertion.objects.select_related("badge_class__issuer").filter(public_id=public_id).first()
        except ValueError:  # not a UUID after all
            return None
        return services.credential_jwt(award, services.credential_record(award)) if award is not None else None


class KeyProblem(Exception):
    """The verification method cannot be used; the message says why, for a person."""


class VerificationRun(Protocol):
    """What the OB 3.0 steps need of the verification run they are part of (``verifier._Run``): its state,
    and its ``check`` (a failed check stops the run unless ``fatal=False``) and ``note_revocation``."""

    docs: Documents
    recipient: str | None
    # Given a value here so that these are the attributes' types in every class that mixes the steps in
    # (mypy reads an attribute a protocol only declares as defined by its first assignment in a subclass).
    badge: dict[str, Any] | None = None
    issuer: dict[str, Any] | None = None
    assertion_url: str | None = None
    revoked: bool
    expired: bool
    recipient_matched: bool | None = None
    time_zone: str

    @overload
    def check(self, name: str, passed: Literal[False], message: str) -> NoReturn: ...
    @overload
    def check(self, name: str, passed: bool, message: str, *, fatal: bool = True) -> None: ...

    def note_revocation(self, reason: str) -> None: ...


class CredentialChecks(VerificationRun):
    """The OB 3.0 steps of a verification run; a run that mixes them in must provide what
    :class:`VerificationRun` declares (mypy says so if it does not)."""

    # ---- inputs --------------------------------------------------------------------------------

    def run_credential(self, doc: dict[str, Any], *, fetched_from: str | None = None) -> None:
        """A credential with an embedded proof (JSON, from a link or baked in an image)."""
        self.check_form(doc, fetched_from=fetched_from)
        issuer_id = _id(doc.get("issuer"))
        proofs = doc.get("proof")
        proofs = proofs if isinstance(proofs, list) else [proofs] if isinstance(proofs, dict) else []
        ours = [p for p in proofs if isinstance(p, dict) and p.get("type") == PROOF_TYPE
                and p.get("cryptosuite") == CRYPTOSUITE]
        if not ours:
            self.check("signature", False, f"The credential carries no {PROOF_TYPE} proof with the cryptosuite "
                       f"{CRYPTOSUITE}, the one Open Badges 3.0 verifiers accept, so it cannot be trusted.")
        if len(proofs) > MAX_PROOFS:
            self.check("signature", False, "The credential carries more proofs than a verifier checks.")
        for proof in ours:
            self.check_proof(doc, proof, issuer_id)
        self.check_status(doc, issuer_id)
        self.check_dates_and_recipient(doc)

    def run_vc_jwt(self, token: str) -> None:
        """A VC-JWT (OB 3.0 section 8.2): the signature by the key ``kid`` names, which must be the
        issuer's; the claims must match the credential; then the credential's own rules."""
        header = jwt_header(token)
        kid = header.get("kid")
        if "jwk" in header and not kid:
            self.check("issuer", False, "The JWT carries its own key and names no key of the issuer, so nothing "
                       "shows the issuer signed it.")
        if not isinstance(kid, str) or not kid:
            self.check("signature", False, "The JWT does not say which key signed it (no kid).")
        method = self.resolve_method(kid, "the JWT")
        if isinstance(method.get("publicKeyJwk"), dict):
            key: Any = method["publicKeyJwk"]
        elif isinstance(method.get("publicKeyMultibase"), str):
            try:
                key = public_key_from_multikey(method["publicKeyMultibase"])
            except MultibaseError:
                self.check("signature", False, f"The key {kid} is not a key the verifier can read.")
        else:
            self.check("signature", False, f"The key {kid} has no public key the verifier can read.")
        result = jwt_verify(token, key)
        if not result.valid or result.credential is None:
            self.check("signature", False, "The JWT's signature or claims are not valid: " + result.message)
        credential = result.credential
        if not is_credential(credential):
            self.check("documents", False, "The JWT does not hold an Open Badges 3.0 credential.")
        self.check_form(credential)
        self.check_key_owner(method, kid, _id(credential.get("issuer")))
        name = self.issuer_name(credential)
        self.check("signature", True, f"The JWT's {header.get('alg')} signature is valid: the credential is exactly "
                   f"as {name} signed it.")
        self.check_status(credential, _id(credential.get("issuer")))
        self.check_dates_and_recipient(credential)

    # ---- form ----------------------------------------------------------------------------------

    def check_form(self, doc: dict[str, Any], *, fetched_from: str | None = None) -> None:
        if _objects(doc) > MAX_OBJECTS:
            self.check("documents", False, f"The credential is too large to check: it has more than {MAX_OBJECTS} "
                       "parts, where an Open Badges credential has a few dozen.")
        contexts = doc.get("@context")
        contexts = contexts if isinstance(contexts, list) else [contexts]
        bundled = ob3_jsonld.bundled_contexts()
        if contexts[0] != VC_V2:
            self.check("documents", False, "The credential is not a Verifiable Credential 2.0: its first context "
                       f"must be {VC_V2}.")
        inline = [c for c in contexts if not isinstance(c, str)]
        if inline:
            self.check("documents", False, "The credential defines terms of its own in its @context, which could "
                       "change what its members mean; the verifier only accepts the published contexts.")
        unknown = [c for c in contexts if c not in bundled]
        if unknown:
            self.check("documents", False, "The credential uses a context the verifier does not know "
                       f"({unknown[0][:200]}); contexts are never fetched, so it cannot be checked.")
        if not any(isinstance(c, str) and OB_CONTEXT_RE.match(c) for c in contexts):
            self.check("documents", False, "The credential does not use the Open Badges 3.0 context.")
        types = _list(doc.get("type"))
        if "VerifiableCredential" not in types or not {"OpenBadgeCredential", "AchievementCredential"} & set(types):
            self.check("documents", False, "The credential is not an OpenBadgeCredential.")
        if fetched_from is not None and doc.get("id") not in (None, fetched_from) and not str(
                doc.get("id")).startswith("urn:"):
            self.check("documents", False, "The credential's id is not the address it was fetched from.")
        self.assertion_url = _id(doc) or fetched_from
        respelled = compacted_form_problem(doc)
        if respelled:
            self.check("documents", False, f"The credential's member {respelled[:200]} is not written as its "
                       "context defines it (an undefined term, a full IRI or an alias), so it cannot be read safely.")
        problem, as_arrays = schema_problem(doc)
        if problem:
            self.check("schema", False, f"The credential does not conform to the 1EdTech Open Badges 3.0 JSON "
                       f"schema: {problem}.")
        subject = doc.get("credentialSubject")
        if not isinstance(subject, dict) or not (subject.get("id") or subject.get("identifier")):
            self.check("documents", False, "The credential does not say who earned it (its subject has no id or "
                       "identifier).")
        self.describe_credential(doc)
        self.check("schema", True, "The credential is a well-formed Open Badges 3.0 credential: it conforms to the "
                   "1EdTech JSON schema" + (" (reading single values as lists)" if as_arrays else "")
                   + " and uses only the published contexts.")

    # ---- keys ----------------------------------------------------------------------------------

    def resolve_method(self, url: str, what: str) -> dict[str, Any]:
        """The verification method ``url`` names, with ``_controller_doc`` (the document that lists it)."""
        try:
            return self._resolve_method(url)
        except KeyProblem as exc:
            self.check("signature", False, f"The key that signed {what} could not be used: {exc}")
        raise AssertionError("unreachable")  # check(False) raises

    def _resolve_method(self, url: str) -> dict[str, Any]:
        if not isinstance(url, str) or len(url) > 2048:
            raise KeyProblem("it has no usable address.")
        base, _, fragment = url.partition("#")
        if base.startswith("did:key:"):
            multibase = base[len("did:key:"):]
            if not multibase.startswith("z6Mk") or (fragment and fragment != multibase):
                raise KeyProblem(f"{url} is not an Ed25519 did:key.")
            method = {"id": f"{base}#{multibase}", "type": "Multikey", "controller": base,
                      "publicKeyMultibase": multibase}
            return {**method, "_controller_doc": {"id": base, "verificationMethod": [method],
                                                  "assertionMethod": [method["id"]]}}
        if base.startswith("did:web:"):
            address = did_web_url(base)
            if address is None:
                raise KeyProblem(f"{base} is not a valid did:web.")
        elif base.startswith(("https://", "http://")):
            address = base
        else:
            raise KeyProblem(f"{url[:200]} is neither a did:key, a did:web nor a web address.")
        doc = self._load_key_doc(address, "DID document" if base.startswith("did:") else "key")
        method = self._find_method(doc, url, base)
        if method is doc and _id(doc.get("controller")) and _id(doc.get("controller")) != base:
            # the URL returned the key itself: its controller document says whether it may sign
            controller = _id(doc.get("controller"))
            assert controller is not None
            address = did_web_url(controller) if controller.startswith("did:web:") else controller
            if address is None or not address.startswith(("https://", "http://")):
                raise KeyProblem(f"its controller {controller[:200]} cannot be resolved.")
            return {**method, "_controller_doc": self._load_key_doc(address, "controller document")}
        return {**method, "_controller_doc": doc}

    def _load_key_doc(self, address: str, what: str) -> dict[str, Any]:
        from verification.verifier import DocumentError

        try:
            doc, _status = self.docs.get(address, what)
        except DocumentError as exc:
            raise KeyProblem(str(exc)) from exc
        return doc

    @staticmethod
    def _find_method(doc: dict[str, Any], url: str, base: str) -> dict[str, Any]:
        if doc.get("id") == url and (doc.get("publicKeyMultibase") or doc.get("publicKeyJwk")):
            return doc
        doc_id = _id(doc) or base
        for entry in [*_list(doc.get("verificationMethod")), *_list(doc.get("assertionMethod"))]:
            if isinstance(entry, dict) and _absolute(_id(entry), doc_id) == url:
                return entry
        raise KeyProblem(f"its document does not list the key {url[:200]}.")

    def check_key_owner(self, method: dict[str, Any], url: str, issuer_id: str | None) -> None:
        controller_doc = method.get("_controller_doc") or {}
        controller = _id(method.get("controller"))
        listed = {_absolute(_id(entry), _id(controller_doc) or "")
                  for entry in _list(controller_doc.get("assertionMethod"))}
        name = (self.issuer or {}).get("name") or "the issuer"
        if issuer_id is None or controller != issuer_id or _id(controller_doc) != issuer_id:
            self.check("issuer", False, f"The key that signed this credential does not belong to {name} "
                       f"({issuer_id or 'no issuer id'}): it may not be genuine.")
        if url not in listed and _absolute(_id(method), issuer_id) not in listed:
            self.check("issuer", False, f"The key that signed this credential is {name}'s, but {name} does not list "
                       "it as a key for issuing credentials (assertionMethod).")
        if self.issuer is not None and issuer_id in self.docs.branding:  # ours: now known to be
            self.issuer["branding"] = self.docs.branding[issuer_id]
            self.time_zone = self.docs.time_zones.get(issuer_id, "UTC")
        self.check("issuer", True, f"The signing key belongs to {name} ({issuer_id}), which lists it for issuing "
                   "credentials.")

    def check_proof(self, doc: dict[str, Any], proof: dict[str, Any], issuer_id: str | None,
                    *, what: str = "this credential") -> None:
        url = proof.get("verificationMethod")
        if proof.get("proofPurpose") != "assertionMethod":
            self.check("signature", False, f"The proof of {what} is not for issuing (its purpose is not "
                       "assertionMethod).")
        method = self.resolve_method(url if isinstance(url, str) else "", what)
        multibase = method.get("publicKeyMultibase")
        if not isinstance(multibase, str):
            self.check("signature", False, f"The key that signed {what} is not an Ed25519 Multikey.")
        result = proof_verify({**doc, "proof": [proof]}, multibase)
        if not result.valid:
            self.check("signature", False, f"The digital signature of {what} is not valid. {result.message}")
        if what == "this credential":
            self.check_key_owner(method, url, issuer_id)  # type: ignore[arg-type]  # resolved, so a str
            self.check("signature", True, "The digital signature (Data Integrity, eddsa-rdfc-2022) is valid: the "
                       f"credential is exactly as {self.issuer_name(doc)} signed it.")
        else:
            controller = _id(method.get("controller"))
            listed = {_absolute(_id(e), _id(method["_controller_doc"]) or "")
                      for e in _list(method["_controller_doc"].get("assertionMethod"))}
            if controller != issuer_id or url not in listed:
                self.check("status", False, f"The key that signed {what} is not the issuer's, so the status cannot "
                           "be trusted.")

    # ---- status --------------------------------------------------------------------------------

    def check_status(self, doc: dict[str, Any], issuer_id: str | None) -> None:
        status = doc.get("credentialStatus")
        name = self.issuer_name(doc)
        if status is None:
            self.check("revocation", True, f"{name} publishes no status for this credential, so it cannot be "
                       "revoked; the signature is valid.")
            return
        entries = status if isinstance(status, list) else [status]
        for entry in entries[:3]:
            kind = entry.get("type") if isinstance(entry, dict) else None
            if kind == "BitstringStatusListEntry":
                self.check_bitstring(entry, doc, issuer_id, name)
            elif kind == "1EdTechRevocationList":
                self.check_revocation_list(entry, doc, name)
            else:
                self.check("status", False, "The credential's status is of a kind the verifier cannot read "
                           f"({str(kind)[:80]}), "
                           "so revocation cannot be ruled out.")
            if self.revoked:
                return

    def check_bitstring(self, entry: dict[str, Any], doc: dict[str, Any], issuer_id: str | None, name: str) -> None:
        from verification.verifier import DocumentError

        url = entry.get("statusListCredential")
        purpose = entry.get("statusPurpose")
        try:
            index = int(entry.get("statusListIndex"))  # type: ignore[arg-type]
            size = int(entry.get("statusSize", 1))
        except (TypeError, ValueError):
            self.check("status", False, "The credential's status list index cannot be read.")
        if not isinstance(url, str):
            self.check("status", False, "The credential's status names no status list.")
        try:
            status_list, _ = self.docs.get(url, "status list")
        except DocumentError as exc:
            self.check("status", False, f"The status list could not be loaded, so revocation cannot be ruled out. "
                       f"{exc}")
        types = _list(status_list.get("type"))
        subject = status_list.get("credentialSubject")
        if "BitstringStatusListCredential" not in types or not isinstance(subject, dict):
            self.check("status", False, f"The status list at {url} is not a BitstringStatusListCredential.")
        # The list is signed JSON-LD like the credential: the same bounds and the same reading by terms.
        if _objects(status_list) > MAX_OBJECTS or not all(c in ob3_jsonld.bundled_contexts() for c in
                                                             _list(status_list.get("@context"))):
            self.check("status", False, f"The status list at {url} is too large or uses contexts the verifier "
                       "does not know, so it cannot be checked.")
        respelled = compacted_form_problem(status_list)
        if respelled:
            self.check("status", False, f"The status list's member {respelled[:200]} is not written as its context "
                       "defines it, so it cannot be read safely.")
        if _id(status_list.get("issuer")) != issuer_id:
            self.check("status", False, f"The status list at {url} was not published by the credential's issuer.")
        proofs = [p for p in _list(status_list.get("proof")) if isinstance(p, dict)]
        if not proofs:
            self.check("status", False, f"The status list at {url} is not signed, so it cannot be trusted.")
        for proof in proofs[:MAX_PROOFS]:
            self.check_proof(status_list, proof, issuer_id, what="the status list")
        now = timezone.now()
        valid_from, valid_until = _time(status_list.get("validFrom")), _time(status_list.get("validUntil"))
        if (valid_from and valid_from - CLOCK_SKEW > now) or (valid_until and valid_until <= now):
            self.check("status", False, f"The status list at {url} is not valid now (see its validFrom/validUntil).")
        if subject.get("statusPurpose") != purpose:
            self.check("status", False, "The status list is for another purpose than the credential's status.")
        try:
            bits = statuslist.decode(subject.get("encodedList"))  # type: ignore[arg-type]
            flagged = statuslist.is_set(bits, index, status_size=size)
        except statuslist.StatusListError as exc:
            self.check("status", False, f"The status list cannot be read: {exc}")
        if flagged and purpose in ("revocation", "suspension"):
            self.revoked = True
            self.note_revocation("")
            self.check("revocation", False, f"{name} has {'revoked' if purpose == 'revocation' else 'suspended'} this "
                       f"credential (its entry {index} in the signed status list is set).", fatal=False)
            return
        self.check("revocation", True, f"{name} has not revoked this credential (checked in its signed status list).")

    def check_revocation_list(self, entry: dict[str, Any], doc: dict[str, Any], name: str) -> None:
        from verification.verifier import DocumentError

        try:
            revocations, _ = self.docs.get(entry.get("id"), "revocation list")  # type: ignore[arg-type]
        except DocumentError as exc:
            self.check("status", False, "The revocation list could not be loaded, so revocation cannot be ruled "
                       f"out. {exc}")
        listed = [*_list(revocations.get("revokedCredentials")), *_list(revocations.get("revokedCredential"))]
        for item in listed[:100_000]:
            item_id = _id(item)
            if item_id and item_id == doc.get("id") and not (isinstance(item, dict) and item.get("revoked") is False):
                reason = item.get("revocationReason") if isinstance(item, dict) else None
                reason = reason.strip()[:300] if isinstance(reason, str) else ""
                self.revoked = True
                self.note_revocation(reason)
                self.check("revocation", False,
                           f"{name} has revoked this credential" + (f": {reason}" if reason else "."),
                           fatal=False)
                return
        self.check("revocation", True, f"{name} has not revoked this credential (checked in its revocation list).")

    # ---- dates, recipient, description -----------------------------------------------------------

    def check_dates_and_recipient(self, doc: dict[str, Any]) -> None:
        now = timezone.now()
        valid_from = _time(doc.get("validFrom"))
        if valid_from is None:
            self.check("documents", False, "The credential's validFrom date cannot be read.")
        if valid_from - CLOCK_SKEW > now:
            self.check("documents", False, "The credential is not valid yet: it is valid from "
                       f"{shown_day(valid_from, self.time_zone)}.")
        if doc.get("validUntil") is None:
            self.check("expiry", True, "This credential does not expire.")
        else:
            valid_until = _time(doc.get("validUntil"))
            if valid_until is None:
                self.check("documents", False, "The credential's validUntil date cannot be read.")
            elif valid_until <= now:
                self.expired = True
                self.check("expiry", False, f"This credential expired on {shown_day(valid_until, self.time_zone)}.",
                           fatal=False)
            else:
                self.check("expiry", True, f"This credential is valid until {shown_day(valid_until, self.time_zone)}.")
        if self.recipient is not None:
            matches = identifier_matches(doc.get("credentialSubject"), self.recipient)
            self.recipient_matched = matches
            self.check("recipient", matches,
                       "The email address you entered is the one this badge was issued to." if matches else
                       "The email address you entered is not the one this badge was issued to.", fatal=False)

    @staticmethod
    def issuer_name(doc: dict[str, Any]) -> str:
        issuer = doc.get("issuer")
        name = issuer.get("name") if isinstance(issuer, dict) else None
        return name.strip()[:200] if isinstance(name, str) and name.strip() else "the issuer"

    def describe_credential(self, doc: dict[str, Any]) -> None:
        facts = ob3_facts(doc, issued=_time(doc.get("validFrom")), expires=_time(doc.get("validUntil")))
        self.badge = badge_summary(facts, assertion_url=self.assertion_url)
        self.issuer = described_issuer(facts.issuer, facts.issuer_id, self.docs.branding.get(facts.issuer_id or ""))


def _objects(value: Any) -> int:
    """How many JSON objects ``value`` holds (its depth is already limited by the parser)."""
    if isinstance(value, dict):
        return 1 + sum(_objects(v) for v in value.values())
    if isinstance(value, list):
        return sum(_objects(v) for v in value)
    return 0


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _absolute(ref: str | None, base: str | None) -> str | None:
    if ref is None:
        return None
    return f"{base}{ref}" if ref.startswith("#") and base else ref


def _time(value: Any) -> datetime | None:
    from verification.verifier import _time as parse

    return parse(value) if isinstance(value, str) else None


def _iso(value: datetime | None) -> str | None:
    return public_timestamp(value) if value else None
