"""The public-document cache, all of it: the keys of the public assertion documents (JSON and the
verification page, served by ``verification.views``), reading them through Django's cache, and
dropping them when what they show changes.

Invalidation does not delete: it writes a short-lived *hold* marker over the entry. A request that
finds the marker (or nothing) builds the document from the database but stores it only with
``cache.add``, which fails while the marker is there. So a request that read the database just
before a revocation committed can never put the old document back, and the revocation shows on
the very next request.

The services of the layers below call ``issuers.services.publication_notify`` inside their
transaction, which calls :func:`publication_changed` (registered in ``VerificationConfig.ready``): it
invalidates at once and again when the transaction commits, so neither a reader between the two nor a
test run inside a transaction that never commits sees a stale document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from uuid import UUID

from django.core.cache import cache
from django.db import transaction

KEY_VERSION = "v1"
HOLD = "held"  # the marker value
HOLD_SECONDS = 15  # longer than any request that might still be building an old document
CHUNK = 1000

T = TypeVar("T")


def json_key(public_id: object) -> str:
    return f"pub:{KEY_VERSION}:a:{public_id}"


def page_key(public_id: object) -> str:
    return f"pub:{KEY_VERSION}:ah:{public_id}"


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
                for key in (json_key(pid), page_key(pid), credential_key(pid), credential_jwt_key(pid))]
        cache.set_many(dict.fromkeys(keys + _list_keys(chunk), HOLD), timeout=HOLD_SECONDS)


def _list_keys(public_ids: list[str]) -> list[str]:
    """The keys of the OB 3.0 status lists and revocation lists these awards are on."""
    from assertions.models import Assertion
    from credentials.documents import LIST_SIZE
    from credentials.models import IssuedCredential
    from issuers.scoping import unscoped

    with unscoped("dropping the cached OB 3.0 status lists of changed awards"):
        issuers = Assertion.objects.filter(public_id__in=public_ids).values_list(
            "badge_class__issuer__public_id", flat=True).distinct()
        keys = [revocation_list_key(pid) for pid in issuers]
        lists = IssuedCredential.objects.filter(assertion__public_id__in=public_ids).values_list(
            "issuer__public_id", "status_index")
        keys += {status_list_key(pid, index // LIST_SIZE) for pid, index in lists}
    return keys


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


def publication_changed(*, assertion_ids: Iterable[UUID] = (), badge_class_id: UUID | None = None,
                        issuer_id: UUID | None = None) -> None:
    """``assertion_ids``, ``badge_class_id`` and ``issuer_id`` are public ids (UUIDs)."""
    ids = [str(pid) for pid in assertion_ids]
    if badge_class_id is not None or issuer_id is not None:
        ids += _affected(badge_class_id, issuer_id)
    if not ids:
        return
    _hold(ids)
    transaction.on_commit(lambda: _hold(ids))  # runs at once when there is no transaction
