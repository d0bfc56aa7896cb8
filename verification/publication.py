"""The public-document cache, all of it: the keys of the public assertion documents (JSON and the
verification page, served by ``verification.views``), reading them through Django's cache, and
dropping them when what they show changes.

Invalidation does not delete: it writes a short-lived *hold* marker over the entry. A request that
finds the marker (or nothing) builds the document from the database but stores it only with
``cache.add``, which fails while the marker is there. So a request that read the database just
before a revocation committed can never put the old document back, and the revocation shows on
the very next request.

``verification.lean`` serves the ready entries (``Ready``: status, bytes, ETag, type) of the public
JSON documents, baked images and DID documents before sessions, CSRF, authentication and tenancy run; a hold marker
or a miss sends the request on to the view, which builds it.

The services of the layers below call ``issuers.services.publication_notify`` inside their
transaction, which calls :func:`publication_changed` (registered in ``VerificationConfig.ready``): it
invalidates at once and again when the transaction commits, so neither a reader between the two nor a
test run inside a transaction that never commits sees a stale document.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple, TypeVar
from uuid import UUID

from django.core.cache import cache
from django.db import transaction
from django.db.models import Max

KEY_VERSION = "v2"  # v2: the JSON documents' entries are ``Ready``
HOLD = "held"  # the marker value
HOLD_SECONDS = 15  # longer than any request that might still be building an old document
CHUNK = 1000

T = TypeVar("T")


def json_key(public_id: object) -> str:
    return f"pub:{KEY_VERSION}:a:{public_id}"


def page_key(public_id: object) -> str:
    return f"pub:{KEY_VERSION}:ah:{public_id}"


def image_key(public_id: object) -> str:
    """An assertion's baked image."""
    return f"pub:{KEY_VERSION}:ai:{public_id}"


def badge_key(public_id: object) -> str:
    return f"pub:{KEY_VERSION}:b:{public_id}"


def issuer_key(public_id: object) -> str:
    return f"pub:{KEY_VERSION}:i:{public_id}"


def revocations_key(issuer_public_id: object) -> str:
    """An issuer's Open Badges 2.0 revocation list."""
    return f"pub:{KEY_VERSION}:r:{issuer_public_id}"


class Ready(NamedTuple):
    """A public document as it goes on the wire: served as it is by ``verification.lean`` before the rest
    of the middleware runs, or by the view that built it."""

    status: int
    body: bytes
    etag: str
    content_type: str


def ready(body: bytes, content_type: str, status: int = 200) -> Ready:
    return Ready(status, body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"', content_type)


def etag_matches(if_none_match: str, etag: str) -> bool:
    """``If-None-Match`` names this ETag (a list, a weak validator or ``*`` too, as RFC 9110 says)."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


# Open Badges 3.0: an award's credential (JSON with its proof, and the VC-JWT), and its issuer's signed
# status lists and revocation list, which change when any of the issuer's awards is revoked.
def credential_key(public_id: object) -> str:
    return f"pub:{KEY_VERSION}:c:{public_id}"


def credential_jwt_key(public_id: object) -> str:
    return f"pub:{KEY_VERSION}:cj:{public_id}"


def status_list_key(issuer_public_id: object, number: int) -> str:
    return f"pub:{KEY_VERSION}:sl:{issuer_public_id}:{number}"


def revocation_list_key(issuer_public_id: object) -> str:
    return f"pub:{KEY_VERSION}:rl:{issuer_public_id}"


def credential_image_key(public_id: object) -> str:
    """An award's image with its OB 3.0 credential baked in."""
    return f"pub:{KEY_VERSION}:ci:{public_id}"


# The did:web documents: every key an issuer (or endorser) has had. An issuer's changes when a key is rotated;
# an endorser's only goes, with its account (its one key is made before its document is first built).
def did_key(issuer_public_id: object) -> str:
    return f"pub:{KEY_VERSION}:d:{issuer_public_id}"


def endorser_did_key(endorser_public_id: object) -> str:
    return f"pub:{KEY_VERSION}:ed:{endorser_public_id}"


def cached(key: str, build: Callable[[], tuple[T, int]]) -> T:
    """The entry cached under ``key``, else ``build()``'s value, which is cached for the seconds it
    returns with it (none: not cached), unless a hold marker says the document is changing right now."""
    entry: Any = cache.get(key)
    if entry is not None and entry != HOLD:
        return entry
    value, seconds = build()
    if entry is None and seconds > 0:  # never over a hold marker
        cache.add(key, value, seconds)
    return value


def _hold(public_ids: list[str]) -> None:
    for start in range(0, len(public_ids), CHUNK):
        chunk = public_ids[start:start + CHUNK]
        keys = [key for pid in chunk
                for key in (json_key(pid), page_key(pid), image_key(pid), credential_key(pid), credential_jwt_key(pid),
                            credential_image_key(pid))]
        cache.set_many(dict.fromkeys(keys + _list_keys(chunk), HOLD), timeout=HOLD_SECONDS)


def _list_keys(public_ids: list[str]) -> list[str]:
    """The keys of the status lists and revocation lists (OB 3.0 and 2.0) these awards are on."""
    from assertions.models import Assertion
    from credentials.documents import LIST_SIZE
    from credentials.models import IssuedCredential
    from issuers.scoping import unscoped

    with unscoped("dropping the cached OB 3.0 status lists of changed awards"):
        issuers = Assertion.objects.filter(public_id__in=public_ids).values_list(
            "badge_class__issuer__public_id", flat=True).distinct()
        keys = [key for pid in issuers for key in (revocation_list_key(pid), revocations_key(pid))]
        lists = IssuedCredential.objects.filter(assertion__public_id__in=public_ids).values_list(
            "issuer__public_id", "status_index")
        keys += {status_list_key(pid, index // LIST_SIZE) for pid, index in lists}
    return keys


def _badges_of(issuer_id: UUID) -> list[str]:
    from badges.models import BadgeClass
    from issuers.scoping import unscoped

    with unscoped("dropping the cached documents of the badge classes of a changed issuer"):
        return [str(pid) for pid in BadgeClass.objects.filter(issuer__public_id=issuer_id)
                .values_list("public_id", flat=True)]


def _affected(badge_class_id: UUID | None, issuer_id: UUID | None) -> list[str]:
    from assertions.models import Assertion
    from issuers.scoping import unscoped

    with unscoped("dropping cached public documents of a changed badge class or issuer"):
        rows = Assertion.objects.all()
        if badge_class_id is not None and issuer_id is not None:
            rows = rows.filter(badge_class__public_id=badge_class_id) | rows.filter(
                badge_class__issuer__public_id=issuer_id)
        elif badge_class_id is not None:
            rows = rows.filter(badge_class__public_id=badge_class_id)
        else:
            assert issuer_id is not None  # publication_changed() passes one of the two
            rows = rows.filter(badge_class__issuer__public_id=issuer_id)
        return [str(pid) for pid in rows.values_list("public_id", flat=True).iterator(chunk_size=CHUNK)]


def _key_documents(issuer_id: UUID) -> list[str]:
    """What a new key of the issuer changes: its DID document and its OB 2.0 profile (both list every key it
    has had) and its OB 3.0 status lists (signed by the key that signs now; a retired key never signs again)."""
    from credentials.documents import LIST_SIZE
    from credentials.models import IssuedCredential
    from issuers.scoping import unscoped

    with unscoped("dropping the cached documents an issuer's new key changes"):
        top = IssuedCredential.objects.filter(issuer__public_id=issuer_id).aggregate(top=Max("status_index"))["top"]
    lists = range(1 if top is None else top // LIST_SIZE + 1)  # list 0 is served even before any award
    return [did_key(issuer_id), issuer_key(issuer_id), *(status_list_key(issuer_id, n) for n in lists)]


def publication_changed(*, assertion_ids: Iterable[UUID] = (), badge_class_id: UUID | None = None,
                        issuer_id: UUID | None = None, issuer_keys_id: UUID | None = None,
                        endorser_id: UUID | None = None) -> None:
    """Public ids (UUIDs): ``assertion_ids``, ``badge_class_id`` and ``issuer_id`` changed what their
    documents show; ``issuer_keys_id``'s keys were rotated; ``endorser_id``'s profile is deleted."""
    ids = [str(pid) for pid in assertion_ids]
    if badge_class_id is not None or issuer_id is not None:
        ids += _affected(badge_class_id, issuer_id)
    own: list[str] = []  # the badge class's and the issuer's own documents
    if badge_class_id is not None:
        own.append(badge_key(badge_class_id))
    if issuer_id is not None:
        own += [issuer_key(issuer_id), revocations_key(issuer_id), did_key(issuer_id),
                *map(badge_key, _badges_of(issuer_id))]
    if issuer_keys_id is not None:
        own += _key_documents(issuer_keys_id)
    if endorser_id is not None:
        own.append(endorser_did_key(endorser_id))
    if not ids and not own:
        return

    def hold() -> None:
        _hold(ids)
        if own:
            cache.set_many(dict.fromkeys(own, HOLD), timeout=HOLD_SECONDS)

    hold()
    transaction.on_commit(hold)  # runs at once when there is no transaction


def awards_erased(*, public_ids: list[Any], college: str) -> None:
    """Told by ``assertions.services.assertion_erase`` (``ERASED``): the awards' public URLs answer 410 Gone,
    saying the college deleted them at the learner's request."""
    from verification.models import RemovedDocument

    RemovedDocument.objects.bulk_create(
        [RemovedDocument(public_id=p, kind=RemovedDocument.Kind.ASSERTION, college=college,
                         reason=RemovedDocument.Reason.LEARNER_REQUEST) for p in public_ids], ignore_conflicts=True)
