"""Email backends: SMTP that sends prepared bytes, and the embedded default (console and file)."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPBackend
from django.core.mail.message import sanitize_address

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

# A batch has one sender: parse it once (Django's address parser costs ~0.1 ms a call).
_sender = lru_cache(maxsize=64)(sanitize_address)
_quoted = lru_cache(maxsize=64)(smtplib.quoteaddr)
# A bare address of printable ASCII without quotes, brackets or spaces comes out of Django's parser as it
# went in (tests/badgeplatform/test_mail.py); anything else is parsed.
_BARE_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+")


def recipient_address(address: str, encoding: str) -> str:
    """``sanitize_address``, without parsing an address that it would return unchanged."""
    return address if _BARE_ADDRESS.fullmatch(address) else sanitize_address(address, encoding)


class _LeanCommands(smtplib.SMTP):
    """smtplib's SMTP with two costs of each message taken out (a third of the client's CPU per message,
    measured against the bench's sink): ``MAIL FROM`` and ``RCPT TO`` of a bare address are written
    ``<address>`` as ``quoteaddr`` writes it (``tests/badgeplatform/test_mail.py``) without parsing it
    again through ``email.utils.parseaddr`` (~40 µs a call), and the data is scanned for a line starting
    with a dot (which SMTP doubles) by a byte search instead of a regular expression over the message."""

    def mail(self, sender: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        if any(option.lower() == "smtputf8" for option in options):
            return super().mail(sender, options)  # it checks the server offers it, and switches the encoding
        self.putcmd("mail", f"FROM:{smtp_address(sender)}{self._options(options)}")
        return self.getreply()

    def rcpt(self, recip: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        self.putcmd("rcpt", f"TO:{smtp_address(recip)}{self._options(options)}")
        return self.getreply()

    def _options(self, options: Sequence[str]) -> str:
        """The ESMTP options as smtplib writes them after the address (``SIZE=`` on every message)."""
        return " " + " ".join(options) if options and self.does_esmtp else ""

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        if not isinstance(msg, bytes) or msg.startswith(b".") or b"\n." in msg:
            return super().data(msg)  # quote_periods has something to double
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        self.send(msg + b".\r\n" if msg.endswith(b"\r\n") else msg + b"\r\n.\r\n")
        return self.getreply()


class _LeanCommandsSSL(_LeanCommands, smtplib.SMTP_SSL):
    pass


def smtp_address(address: str) -> str:
    """``smtplib.quoteaddr(address)``: ``<address>`` for a bare one, without parsing it; others are parsed
    (the batch's one sender once: it is the same string for every message)."""
    return f"<{address}>" if _BARE_ADDRESS.fullmatch(address) else _quoted(address)


class SMTPBackend(DjangoSMTPBackend):
    """Django's SMTP backend, except that a message carrying ``prepared`` bytes (CRLF line ends, as
    ``assertions.emails.PreparedEmail``) is sent as those bytes instead of being written again: writing
    a MIME message costs about a millisecond, and a cohort's award emails differ only in a few values."""

    @property
    def connection_class(self) -> type[smtplib.SMTP]:
        return _LeanCommandsSSL if self.use_ssl else _LeanCommands

    def _send(self, email_message: EmailMessage) -> bool:
        prepared = getattr(email_message, "prepared", b"")
        if not prepared:
            return super()._send(email_message)  # type: ignore[misc]  # private in Django; the stubs leave it out
        encoding = email_message.encoding or "utf-8"
        assert self.connection is not None  # send_messages() opens it before calling _send()
        try:
            self.connection.sendmail(_sender(email_message.from_email, encoding),
                                     [recipient_address(to, encoding) for to in email_message.recipients()], prepared)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True


class ConsoleAndFileEmailBackend(FileBackend):
    """Writes each message to ``EMAIL_FILE_PATH`` (one file per connection) and to stdout."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = super().send_messages(email_messages)
        ConsoleBackend(fail_silently=self.fail_silently).send_messages(email_messages)
        return sent
