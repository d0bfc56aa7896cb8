"""BitstringStatusList (W3C Bitstring Status List 1.0): a bit per credential, most significant bit
of the first byte is index 0, GZIP-compressed and written multibase base64url (``u...``).

A list has at least 131,072 entries (16 KB), the spec's minimum, so that one credential's bit does
not give away who else holds a credential of the same issuer.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable

from credentials.multibase import MultibaseError, base64url, from_base64url

MIN_ENTRIES = 131_072
MAX_ENTRIES = 16 * MIN_ENTRIES  # what a decoder accepts (2 Mbit); a bigger list is refused, not inflated


class StatusListError(ValueError):
    pass


def encode(set_indexes: Iterable[int], *, size: int = MIN_ENTRIES) -> str:
    """The ``encodedList`` of a list of ``size`` entries where exactly ``set_indexes`` are 1."""
    if size < MIN_ENTRIES or size % 8:
        raise StatusListError(f"A status list has at least {MIN_ENTRIES} entries, a multiple of 8.")
    bits = bytearray(size // 8)
    for index in set_indexes:
        if not 0 <= index < size:
            raise StatusListError(f"Index {index} is outside the list of {size} entries.")
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same bits always give the same bytes (ETags, tests)
    return base64url(gzip.compress(bytes(bits), compresslevel=9, mtime=0))


def decode(encoded_list: str) -> bytes:
    """The raw bitstring of an ``encodedList``; refuses anything not multibase base64url GZIP, shorter
    than the minimum or inflating past ``MAX_ENTRIES`` (a gzip bomb stops there)."""
    try:
        compressed = from_base64url(encoded_list)
    except MultibaseError as exc:
        raise StatusListError(f"The encodedList is not multibase base64url: {exc}") from exc
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip only
    try:
        bits = inflater.decompress(compressed, MAX_ENTRIES // 8 + 1)
    except zlib.error as exc:
        raise StatusListError("The encodedList is not GZIP-compressed.") from exc
    if len(bits) > MAX_ENTRIES // 8:
        raise StatusListError(f"The status list is longer than {MAX_ENTRIES} entries.")
    if not inflater.eof:
        raise StatusListError("The encodedList is truncated.")
    if len(bits) * 8 < MIN_ENTRIES:
        raise StatusListError(f"The status list has fewer than {MIN_ENTRIES} entries.")
    return bits


def is_set(bits: bytes, index: int, *, status_size: int = 1) -> bool:
    """Whether the status at ``index`` (of ``status_size`` bits) is non-zero."""
    if status_size < 1 or index < 0 or (index + 1) * status_size > len(bits) * 8:
        raise StatusListError(f"Index {index} is outside the status list.")
    start = index * status_size
    return any(bits[bit // 8] & (0x80 >> (bit % 8)) for bit in range(start, start + status_size))
