"""Multibase (base58btc ``z``, base64url ``u``) and Ed25519 ``Multikey`` public keys.

A Multikey's ``publicKeyMultibase`` is ``z`` + base58btc(0xed 0x01 + the 32-byte Ed25519 public key)
(Controlled Identifiers 1.0, "Multikey"); a ``proofValue`` is ``z`` + base58btc(signature).
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {char: index for index, char in enumerate(B58_ALPHABET)}
ED25519_PUB_PREFIX = b"\xed\x01"
MAX_ENCODED = 4096  # nothing we read (a key, a signature) is longer; bounds the quadratic decoder


class MultibaseError(ValueError):
    pass


# Two base58 digits at a time, and the big number cut into ten-digit pieces first: a signature's 88
# digits cost 9 divisions of a big number instead of 88.
_B58_PAIRS = [a + b for a in B58_ALPHABET for b in B58_ALPHABET]
_B58_PIECE = 58 ** 10


def b58encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    pieces = []
    while number:
        number, piece = divmod(number, _B58_PIECE)
        for _ in range(5):
            piece, pair = divmod(piece, 3364)  # 58 ** 2
            pieces.append(_B58_PAIRS[pair])
    return "1" * zeros + "".join(reversed(pieces)).lstrip("1")


def b58decode(text: str) -> bytes:
    if len(text) > MAX_ENCODED:
        raise MultibaseError("The base58 value is too long.")
    number = 0
    for char in text:
        index = _B58_INDEX.get(char)
        if index is None:
            raise MultibaseError(f"{char!r} is not a base58btc character.")
        number = number * 58 + index
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def base58btc(data: bytes) -> str:
    return "z" + b58encode(data)


def from_base58btc(value: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("z"):
        raise MultibaseError("A multibase base58btc value starts with 'z'.")
    return b58decode(value[1:])


def base64url(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_base64url(value: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("u"):
        raise MultibaseError("A multibase base64url value starts with 'u'.")
    body = value[1:]
    if any(char in body for char in "+/="):
        raise MultibaseError("The value is not base64url without padding.")
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError as exc:
        raise MultibaseError("The value is not base64url.") from exc


def multikey_from_public_key(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base58btc(ED25519_PUB_PREFIX + raw)


def public_key_from_multikey(value: str) -> Ed25519PublicKey:
    raw = from_base58btc(value)
    if len(raw) != 34 or not raw.startswith(ED25519_PUB_PREFIX):
        raise MultibaseError("The key is not an Ed25519 Multikey (z6Mk...).")
    return Ed25519PublicKey.from_public_bytes(raw[2:])
