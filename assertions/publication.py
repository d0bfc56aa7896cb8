"""Hook the services call when something a public document shows has changed.

The public-document cache (verification) relies on these calls to drop what it holds, so that a
revocation shows on the very next request. Services call them inside ``transaction.on_commit``.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID


def publication_changed(*, assertion_ids: Iterable[UUID] = (), badge_class_id: UUID | None = None,
                        issuer_id: UUID | None = None) -> None:
    """``assertion_ids``, ``badge_class_id`` and ``issuer_id`` are public ids (UUIDs)."""
    return None
