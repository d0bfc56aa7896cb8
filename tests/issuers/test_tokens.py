"""``issuers.tokens.signed_dumps`` gives the very token ``django.core.signing.dumps(compress=True)`` does."""

from __future__ import annotations

import time

import pytest
from django.core import signing
from django.test import override_settings

from issuers.tokens import signed_dumps

VALUES = [["0b6c2a52-6f1e-4a7e-9a51-1f0e3c3b7d11", "n0nce"], "0b6c2a52-6f1e-4a7e-9a51-1f0e3c3b7d11",
          ["Zoë", "李", 3, None], "x" * 400, {"a": [1, 2, {"b": "c"}]}]


def _both(value: object, salt: str) -> tuple[str, str]:
    while True:  # the same second in both, or the timestamps differ
        started = int(time.time())
        ours, django = signed_dumps(value, salt=salt), signing.dumps(value, salt=salt, compress=True)
        if int(time.time()) == started:
            return ours, django


@pytest.mark.parametrize("value", VALUES)
def test_a_token_is_the_one_django_signs(value):
    ours, django = _both(value, "assertions.claim")
    assert ours == django
    assert signing.loads(ours, salt="assertions.claim") == value


def test_a_compressible_value_is_compressed_as_django_does():
    ours, django = _both("x" * 400, "wallets.email")
    assert ours.startswith(".")
    assert ours == django


def test_another_salt_or_secret_gives_another_token():
    first, _ = _both(VALUES[0], "assertions.claim")
    other, _ = _both(VALUES[0], "wallets.email")
    assert first.rsplit(":", 1)[1] != other.rsplit(":", 1)[1]
    with override_settings(SECRET_KEY="another-secret-key-that-is-long-enough-for-tests"):
        ours, django = _both(VALUES[0], "assertions.claim")
        assert ours == django
    with pytest.raises(signing.BadSignature):
        signing.loads(ours, salt="assertions.claim")
