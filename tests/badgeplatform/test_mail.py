"""The SMTP backend's shortcut for recipient addresses gives what Django's parser gives."""

from __future__ import annotations

from django.core.mail.message import sanitize_address
from hypothesis import given
from hypothesis import strategies as st

from badgeplatform.mail import recipient_address

_LOCAL = st.text(alphabet="abcXYZ019.!#$%&'*+/=?^_`{|}~-\"(),:;<>@[\\] ", min_size=1, max_size=20)
_DOMAIN = st.text(alphabet="abc019.-_ ", min_size=1, max_size=20)


@given(local=_LOCAL, domain=_DOMAIN)
def test_a_recipient_address_comes_out_as_djangos_parser_would_write_it(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    try:
        expected = sanitize_address(address, "utf-8")
    except ValueError:
        expected = None
    try:
        got = recipient_address(address, "utf-8")
    except ValueError:
        got = None
    assert got == expected


def test_a_plain_address_and_one_with_a_name_or_accent_are_written_as_django_writes_them() -> None:
    for address in ["learner1.x@example.org", "o'neil+badges@mail.example.ac.uk", "Zoë <zoe@example.org>",
                    "zoë@example.org", "a@b"]:
        assert recipient_address(address, "utf-8") == sanitize_address(address, "utf-8")
