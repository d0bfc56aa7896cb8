"""The secrets of an offer and how they are kept: random values given to the wallet, stored only as
keyed hashes (HMAC under ``SECRET_KEY``, so a copy of the database alone cannot test guesses, not even
of a six-digit transaction code).

The offer link carries one secret; the pre-authorized code is derived from it (an HMAC of it), so the
offer document can be served again from its link while the database holds neither.
"""

from __future__ import annotations

import secrets

from django.utils.crypto import constant_time_compare, salted_hmac

TX_CODE_DIGITS = 6


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_tx_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(TX_CODE_DIGITS))


def keyed_hash(purpose: str, value: str) -> str:
    return salted_hmac(f"wallets.{purpose}", value, algorithm="sha256").hexdigest()


def code_of_link(link_secret: str) -> str:
    """The pre-authorized code of the offer whose link carries ``link_secret``."""
    return salted_hmac("wallets.pre-authorized-code", link_secret, algorithm="sha256").hexdigest()


def matches(purpose: str, value: str, stored_hash: str) -> bool:
    return bool(stored_hash) and constant_time_compare(keyed_hash(purpose, value), stored_hash)
