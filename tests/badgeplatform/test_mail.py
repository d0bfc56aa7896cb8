"""The SMTP backend's shortcut for recipient addresses gives what Django's parser gives."""

from __future__ import annotations

import smtplib

from django.core.mail.message import sanitize_address
from hypothesis import given
from hypothesis import strategies as st

from badgeplatform.mail import SMTPBackend, recipient_address, smtp_address

_LOCAL = st.text(alphabet="abcXYZ019.!#$%&'*+/=?^_`{|}~-\"(),:;<>@[\\] ", min_size=1, max_size=20)
_DOMAIN = st.text(alphabet="abc019.-_ ", min_size=1, max_size=20)


@given(local=_LOCAL, domain=_DOMAIN)
def test_a_recipient_address_comes_out_as_djangos_parser_would_write_it(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    try:
        expected = sanitize_address(address, "utf-8")
    except (ValueError, TypeError):  # the stdlib's header parser raises TypeError on some odd input too
        expected = None
    try:
        got = recipient_address(address, "utf-8")
    except (ValueError, TypeError):
        got = None
    assert got == expected


def test_a_plain_address_and_one_with_a_name_or_accent_are_written_as_django_writes_them() -> None:
    for address in ["learner1.x@example.org", "o'neil+badges@mail.example.ac.uk", "Zoë <zoe@example.org>",
                    "zoë@example.org", "a@b"]:
        assert recipient_address(address, "utf-8") == sanitize_address(address, "utf-8")


@given(local=_LOCAL, domain=_DOMAIN)
def test_an_smtp_command_names_an_address_as_smtplib_quotes_it(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    outcomes = []
    for quote in (smtp_address, smtplib.quoteaddr):
        try:
            outcomes.append(quote(address))
        except Exception as exc:  # noqa: BLE001 - the stdlib's parser fails on some odd input: fail alike
            outcomes.append(type(exc))
    assert outcomes[0] == outcomes[1]


def test_the_lean_commands_send_what_smtplib_sends(sink) -> None:
    """The same bytes on the wire, whether a line starts with a dot or not, to a sender with a name too."""
    messages = [b"Subject: a\r\n\r\nplain\r\n", b"Subject: b\r\n\r\n.starts with a dot\r\n..two\r\n",
                b".Subject: c\r\n\r\nno line end at the end", b"Subject: d\r\n\r\nends with a dot\r\n."]
    wires = []
    for connection_class in (smtplib.SMTP, SMTPBackend(host="127.0.0.1", port=sink.port).connection_class):

        class Recorded(connection_class):  # type: ignore[misc, valid-type]
            wire: list[bytes]

            def send(self, s: bytes | str) -> None:
                self.wire.append(s if isinstance(s, bytes) else s.encode())
                super().send(s)

        connection = Recorded("127.0.0.1", sink.port)
        connection.wire = []
        for message in messages:
            connection.sendmail("badges@localhost", ["learner1.x@example.org", "Zoë <zoe@example.org>"], message)
            connection.sendmail("Badge Platform <badges@localhost>", ["o'neil+b@mail.example.ac.uk"], message)
        connection.quit()
        wires.append(connection.wire)
    assert wires[0] == wires[1]
    assert sink.raw[:len(messages) * 2] == sink.raw[len(messages) * 2:]
