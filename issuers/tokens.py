"""Signed tokens for links that go out by the thousand (an award email's claim and wallet links).

``signed_dumps(obj, salt=...)`` is ``django.core.signing.dumps(obj, salt=..., compress=True)``, the same
string (``tests/issuers/test_tokens.py``), read back by ``signing.loads`` as before. Django's derives the
HMAC key from the salt and ``SECRET_KEY`` and builds a ``TimestampSigner`` (settings read, separator
checked) for every token: half of a token's ~30 µs, twice per award email. Here the keyed HMAC is made
once per (salt, secret) and copied for each token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import zlib
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.signing import b62_encode, b64_encode
from django.utils.encoding import force_bytes


@lru_cache(maxsize=32)
def _keyed(salt: str, secret: str | bytes) -> Any:
    # Signer.signature: salted_hmac(salt + "signer", value, key, algorithm="sha256")
    key = hashlib.sha256(force_bytes(salt + "signer") + force_bytes(secret)).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


def signed_dumps(obj: Any, *, salt: str) -> str:
    """``signing.dumps(obj, salt=salt, compress=True)`` with the default key, serializer and algorithm."""
    data = json.dumps(obj, separators=(",", ":")).encode("latin-1")  # JSONSerializer
    prefix = ""
    compressed = zlib.compress(data)
    if len(compressed) < len(data) - 1:
        data, prefix = compressed, "."
    value = f"{prefix}{b64_encode(data).decode()}:{b62_encode(int(time.time()))}"
    mac = _keyed(salt, settings.SECRET_KEY).copy()
    mac.update(value.encode())
    return f"{value}:{b64_encode(mac.digest()).decode()}"
