"""A web process's memory of the API keys it has checked, so that an API call does not read its key and
tenant from the database each time (~1.5 ms of a single award's request, of ~17).

Correct across processes through one shared *generation* in the cache (Redis in production, the
file-based cache otherwise): a remembered key is used only while the generation it was read under is
still the current one. Whatever changes what the check decides (a key revoked or rotated, a college
suspended, re-activated, deleted or its plan limits or settings changed) calls ``api_keys_changed()``,
which starts a new generation at once and again when its transaction commits, so a process that read
the old rows in between reads them again. The services that make those changes call it
(``issuers.services``, the platform console's off-boarding, the Django admin's saves); a change written
around them (a shell, a raw UPDATE) shows within ``HOLD_SECONDS``, the longest a key is remembered.
If the cache cannot be read, nothing is remembered: every call reads the database, as before.
"""

from __future__ import annotations

import copy
import logging
import time
import uuid

from django.core.cache import cache
from django.db import transaction

from issuers.models import ApiKey

logger = logging.getLogger(__name__)

GENERATION_KEY = "issuers:api-keys:generation"
HOLD_SECONDS = 30.0
MAX_KEYS = 1000  # a process that has seen more starts again: one read each

# key hash -> (the key with its tenant, the generation it was read under, when it was read: time.monotonic)
_known: dict[str, tuple[ApiKey, str, float]] = {}


def generation() -> str | None:
    """The current generation (one is started if there is none), or None if the cache does not answer."""
    try:
        value = cache.get(GENERATION_KEY)
        if value is None:
            cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
            value = cache.get(GENERATION_KEY)
    except Exception:  # noqa: BLE001 - the cache is down: remember nothing, read the database
        logger.warning("Cache unavailable: API keys are read from the database", exc_info=True)
        return None
    return value


def remembered(key_hash: str, current: str | None) -> ApiKey | None:
    """A copy of the live key read under the ``current`` generation (its tenant a copy too, so nothing a
    request caches on them outlives it), or None."""
    if current is None:
        return None
    found = _known.get(key_hash)
    if found is None or found[1] != current or time.monotonic() - found[2] >= HOLD_SECONDS:
        return None
    key = copy.copy(found[0])
    key.tenant = copy.copy(found[0].tenant)
    return key


def remember(key_hash: str, key: ApiKey, current: str | None) -> None:
    """Remember a live key (with its tenant) read under ``current``, the generation taken *before* the read."""
    if current is None:
        return
    if len(_known) >= MAX_KEYS:
        _known.clear()
    kept = copy.copy(key)
    kept.tenant = copy.copy(key.tenant)
    _known[key_hash] = (kept, current, time.monotonic())


def used(key_hash: str, at: object) -> None:
    """The remembered key's ``last_used_at`` was just written."""
    found = _known.get(key_hash)
    if found is not None:
        found[0].last_used_at = at  # type: ignore[assignment]


def _new_generation() -> None:
    try:
        cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:  # noqa: BLE001 - the change itself stands; processes notice within HOLD_SECONDS
        logger.warning("Cache unavailable: API keys remembered by web processes expire in %ss", HOLD_SECONDS,
                       exc_info=True)


def api_keys_changed() -> None:
    """Every process forgets the keys it remembers: now, and once the current transaction commits (a
    process may read the old rows between the two)."""
    _known.clear()
    _new_generation()
    transaction.on_commit(_new_generation)
