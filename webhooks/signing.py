"""Standard Webhooks signatures (https://www.standardwebhooks.com/): a secret is ``whsec_`` and the base64
of random bytes; a delivery carries ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and
``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>" under the secret's bytes>``,
one per secret that signs, separated by spaces."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix, not a secret
SECRET_BYTES = 32


def secret_new() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(*, secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    return _signature(_key(secret), webhook_id, timestamp, body)


def keys(secrets_signing: list[str]) -> list[bytes]:
    """The HMAC keys of ``secrets_signing``, decoded once for a batch of deliveries."""
    return [_key(s) for s in secrets_signing]


def _signature(key: bytes, webhook_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(*, secrets_signing: list[str] | None = None, keys_signing: list[bytes] | None = None, webhook_id: str,
            timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of one attempt, signed with every secret in ``secrets_signing`` (current first), or
    every key of ``keys_signing`` (from :func:`keys`)."""
    prepared = keys_signing if keys_signing is not None else keys(secrets_signing or [])
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(_signature(k, webhook_id, timestamp, body) for k in prepared),
        "Content-Type": "application/json",
    }
