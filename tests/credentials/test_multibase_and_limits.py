"""The pieces of a proof the worker runs per award, written for speed, against their definitions:
base58btc as the spec defines it (one digit at a time), and the JSON-LD size check's limits."""

from __future__ import annotations

import random

import pytest

from credentials.jsonld import MAX_JSON_DEPTH, MAX_JSON_VALUES, JsonLdError, _check_size
from credentials.multibase import B58_ALPHABET, b58decode, b58encode


def b58_by_definition(data: bytes) -> str:
    """Leading zero bytes as "1"s, then the number in base 58, most significant digit first."""
    number, digits = int.from_bytes(data, "big"), ""
    while number:
        number, rest = divmod(number, 58)
        digits = B58_ALPHABET[rest] + digits
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + digits


def test_base58btc_is_the_definition_for_every_length_and_leading_zeros():
    rng = random.Random(19)
    cases = [b"", b"\0", b"\0\0\0", b"\0\x01", b"\x01", b"\x39", b"\x3a", b"\xff" * 64, (58 ** 10).to_bytes(8, "big"),
             (58 ** 10 - 1).to_bytes(8, "big")]
    cases += [bytes(rng.randrange(256) for _ in range(n)) for n in range(1, 90) for _ in range(20)]
    cases += [b"\0" * n + bytes(rng.randrange(1, 256) for _ in range(64)) for n in range(1, 4)]
    for data in cases:
        assert b58encode(data) == b58_by_definition(data), data
        assert b58decode(b58encode(data)) == data


def test_the_spec_example_encodes():
    assert b58encode(b"Hello World!") == "2NEpo7TZRRrLZSi2U"


def nested(depth: int) -> dict:
    document: dict = {"leaf": 1}
    for _ in range(depth - 2):
        document = {"a": document}
    return document


def test_the_size_check_allows_the_limits_and_refuses_one_more():
    _check_size({"values": list(range(MAX_JSON_VALUES - 2))})  # the document, the list and its items
    with pytest.raises(JsonLdError, match="more than 5000 values"):
        _check_size({"values": list(range(MAX_JSON_VALUES - 1))})
    _check_size(nested(MAX_JSON_DEPTH))
    with pytest.raises(JsonLdError, match="nested more than 32 levels"):
        _check_size(nested(MAX_JSON_DEPTH + 1))
    with pytest.raises(JsonLdError, match="nested more than 32 levels"):
        _check_size([nested(MAX_JSON_DEPTH)])
