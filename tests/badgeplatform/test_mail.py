"""The SMTP backend's shortcut for recipient addresses gives what Django's parser gives."""

from __future__ import annotations

import smtplib
import socket
from typing import Any

import pytest
from django.core.mail.message import sanitize_address
from hypothesis import given
from hypothesis import strategies as st

from badgeplatform.mail import SMTPBackend, recipient_address, smtp_address
from tests.support.servers import LeanSmtpSink

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


class _Recorded:
    """An SMTP client class that keeps each write it makes to the server."""

    @staticmethod
    def of(connection_class: type[smtplib.SMTP]) -> type[smtplib.SMTP]:
        class Recorded(connection_class):  # type: ignore[misc, valid-type]
            wire: list[bytes]

            def send(self, s: bytes | str) -> None:
                self.wire.append(s if isinstance(s, bytes) else s.encode())
                super().send(s)

        return Recorded


_OURS = SMTPBackend(host="127.0.0.1").connection_class
_MESSAGES = [b"Subject: a\r\n\r\nplain\r\n", b"Subject: b\r\n\r\n.starts with a dot\r\n..two\r\n",
             b".Subject: c\r\n\r\nno line end at the end", b"Subject: d\r\n\r\nends with a dot\r\n."]


def _wires(sink: LeanSmtpSink) -> list[list[bytes]]:
    wires = []
    for connection_class in (smtplib.SMTP, _OURS):
        connection = _Recorded.of(connection_class)("127.0.0.1", sink.port)
        connection.wire = []  # type: ignore[attr-defined]
        for message in _MESSAGES:
            connection.sendmail("badges@localhost", ["learner1.x@example.org", "Zoë <zoe@example.org>"], message)
            connection.sendmail("Badge Platform <badges@localhost>", ["o'neil+b@mail.example.ac.uk"], message)
        connection.quit()
        wires.append(connection.wire)  # type: ignore[attr-defined]
    return wires


def test_to_a_server_offering_pipelining_the_client_writes_smtplibs_bytes_in_two_writes_a_message() -> None:
    sink = LeanSmtpSink(pipelining=True).start()
    try:
        theirs, ours = _wires(sink)
    finally:
        sink.stop()
    assert b"".join(ours) == b"".join(theirs)
    messages = len(_MESSAGES) * 2
    # EHLO, QUIT, and for each pair of messages MAIL, RCPT, RCPT, DATA, the data, then MAIL, RCPT, DATA, the data
    assert len(theirs) == 2 + len(_MESSAGES) * 9
    assert len(ours) == 2 + messages * 2  # MAIL, RCPT(s) and DATA together, then the data
    assert sink.raw[:messages] == sink.raw[messages:]
    assert sink.refused_groups == 0


def test_to_a_server_without_pipelining_the_client_waits_for_every_reply() -> None:
    sink = LeanSmtpSink(pipelining=False).start()
    try:
        theirs, ours = _wires(sink)
        assert ours == theirs
        assert sink.refused_groups == 0
        assert len(sink.raw) == len(_MESSAGES) * 4
        # The sink does catch a client writing ahead, so the test above means something.
        with socket.create_connection(("127.0.0.1", sink.port), timeout=5) as raw, raw.makefile("rb") as replies:
            replies.readline()
            raw.sendall(b"EHLO test\r\n")
            while replies.readline().startswith(b"250-"):
                pass
            raw.sendall(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n")
            assert replies.readline().startswith(b"250")
            assert replies.readline().startswith(b"554 5.5.0 SMTP synchronization error")
        assert sink.refused_groups == 1
    finally:
        sink.stop()


# (what the sink refuses, its reply to the data, the recipients, what sendmail raises or returns): every way a
# server refuses a message, one at a time.
_REFUSALS: dict[str, tuple[dict[str, str], str | None, list[str], str]] = {
    "sender refused": ({"badges@localhost": "550 5.7.1 Sender rejected"}, None, ["ann@example.org"],
                       "SMTPSenderRefused"),
    "one of two recipients refused": ({"ben@example.org": "550 5.1.1 No such mailbox"}, None,
                                      ["ann@example.org", "ben@example.org"], "returned"),
    "every recipient refused": ({"ben@example.org": "550 5.1.1 No such mailbox"}, None, ["ben@example.org"],
                                "SMTPRecipientsRefused"),
    "a recipient to try later": ({"ben@example.org": "450 4.2.1 Mailbox busy"}, None, ["ben@example.org"],
                                 "SMTPRecipientsRefused"),
    "the server closing at a recipient": ({"ben@example.org": "421 4.3.2 Shutting down"}, None,
                                          ["ann@example.org", "ben@example.org"], "SMTPRecipientsRefused"),
    "the data refused": ({}, "554 5.6.0 Message refused", ["ann@example.org"], "SMTPDataError"),
    "the data to try later": ({}, "451 4.3.0 Try again later", ["ann@example.org"], "SMTPDataError"),
}


def _outcome(call: Any) -> tuple[str, Any]:
    try:
        return ("returned", call())
    except (smtplib.SMTPException, OSError) as exc:
        return (type(exc).__name__, exc.args)


@pytest.mark.parametrize("case", list(_REFUSALS))
def test_a_pipelined_message_refused_raises_what_smtplib_raises_and_leaves_the_connection_as_usable(case: str) -> None:
    refuse, reply, recipients, expected = _REFUSALS[case]
    results = []
    for connection_class in (smtplib.SMTP, _OURS):
        sink = LeanSmtpSink(refuse=refuse, reply=reply).start()
        try:
            connection = connection_class("127.0.0.1", sink.port)
            first = _outcome(lambda c=connection: c.sendmail("badges@localhost", recipients, b"Subject: a\r\n\r\n"))
            sink.refuse.pop("badges@localhost", None)  # the next message on the same connection
            second = _outcome(lambda c=connection: c.sendmail("badges@localhost", ["cy@example.org"], b"Hi\r\n"))
            results.append((first, second, list(sink.raw), list(sink.envelopes), sink.refused_groups))
            connection.close()
        finally:
            sink.stop()
    assert results[0] == results[1]
    (first, second, raw, _, refused_groups) = results[1]
    assert first[0] == expected
    if case == "the server closing at a recipient":
        assert second[0] == "SMTPServerDisconnected"  # smtplib closes its end after a 421
    elif reply:
        assert second[0] == "SMTPDataError"
    else:
        assert second == ("returned", {})
    assert len(raw) == (case == "one of two recipients refused") + (not reply and second[0] == "returned")
    assert refused_groups == 0
