"""BitstringStatusList encoding (credentials.statuslist): W3C's bit order, gzip + multibase base64url,
at least 131,072 entries, and a decoder that refuses what is not a status list."""

from __future__ import annotations

import base64
import gzip

import pytest

from credentials.statuslist import MIN_ENTRIES, StatusListError, decode, encode, is_set


def test_set_indexes_read_back_set_and_the_others_clear():
    bits = decode(encode([0, 7, 8, 131_071]))
    assert len(bits) * 8 == MIN_ENTRIES
    assert [is_set(bits, i) for i in (0, 1, 7, 8, 9, 131_071, 131_070)] == [True, False, True, True, False, True, False]


def test_index_zero_is_the_most_significant_bit_of_the_first_byte():
    raw = gzip.decompress(base64.urlsafe_b64decode(encode([0])[1:] + "=="))
    assert raw[0] == 0x80
    assert not any(raw[1:])


def test_the_encoding_is_multibase_base64url_and_the_same_bits_give_the_same_string():
    encoded = encode([5, 9])
    assert encoded.startswith("u")
    assert not set("+/=") & set(encoded)
    assert encoded == encode([9, 5])


def test_a_list_shorter_than_the_minimum_is_refused():
    with pytest.raises(StatusListError):
        encode([], size=1024)
    short = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(100))).rstrip(b"=").decode()
    with pytest.raises(StatusListError, match="fewer"):
        decode(short)


NOT_GZIP = "u" + base64.urlsafe_b64encode(b"not gzip").decode().rstrip("=")


@pytest.mark.parametrize("value", ["", "zabc", "u!!!", NOT_GZIP])
def test_what_is_not_a_status_list_is_refused_with_a_reason(value):
    with pytest.raises(StatusListError):
        decode(value)


def test_a_gzip_bomb_stops_at_the_maximum_size():
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(64 * 1024 * 1024))).rstrip(b"=").decode()
    with pytest.raises(StatusListError, match="longer"):
        decode(bomb)


def test_an_index_outside_the_list_is_refused():
    with pytest.raises(StatusListError):
        encode([MIN_ENTRIES])
    with pytest.raises(StatusListError):
        is_set(decode(encode([])), MIN_ENTRIES)
