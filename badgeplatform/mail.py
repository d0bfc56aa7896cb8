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
    from _typeshed import ReadableBuffer, SizedBuffer

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
    """smtplib's SMTP with the costs of each message cut (``tests/badgeplatform/test_mail.py`` checks the
    bytes on the wire are smtplib's): a message's commands are pipelined (RFC 2920) when the server offers
    it (``sendmail``); ``MAIL FROM`` and ``RCPT TO`` of a bare address are written ``<address>`` as
    ``quoteaddr`` writes it without parsing it again through ``email.utils.parseaddr`` (~40 µs a call); and
    the data is scanned for a line starting with a dot (which SMTP doubles) by a byte search instead of a
    regular expression over the message."""

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

    def sendmail(self, from_addr: str, to_addrs: str | Sequence[str], msg: SizedBuffer | str,
                 mail_options: Sequence[str] = (), rcpt_options: Sequence[str] = ()) -> dict[str, tuple[int, bytes]]:
        """smtplib's ``sendmail``, pipelined (RFC 2920) when the server offers ``PIPELINING``: ``MAIL``, each
        ``RCPT`` and ``DATA`` go in one write and their replies are read after, then the data and its dot;
        two round trips a message instead of three or more. The same bytes on the wire, the same exceptions
        for the same answers (``tests/badgeplatform/test_mail.py``). Without the extension, or for a message
        smtplib would encode or a ``SMTPUTF8`` one, smtplib's own way."""
        self.ehlo_or_helo_if_needed()
        if (not isinstance(msg, bytes) or not to_addrs or not self.does_esmtp or not self.has_extn("pipelining")
                or any(option.lower() == "smtputf8" for option in mail_options)):
            return super().sendmail(from_addr, to_addrs, msg, mail_options, rcpt_options)
        recipients = [to_addrs] if isinstance(to_addrs, str) else list(to_addrs)
        options = [f"size={len(msg)}"] if self.has_extn("size") else []
        commands = [f"mail FROM:{smtp_address(from_addr)}{self._options([*options, *mail_options])}",
                    *(f"rcpt TO:{smtp_address(each)}{self._options(rcpt_options)}" for each in recipients), "data"]
        if any("\r" in command or "\n" in command for command in commands):
            raise ValueError("command and arguments contain prohibited newline characters")
        # Encoded before anything is written, so an address that cannot be written sends nothing.
        self.send("".join(f"{command}\r\n" for command in commands).encode(self.command_encoding))
        return self._pipelined_replies(from_addr, recipients, msg)

    def _pipelined_replies(self, from_addr: str, recipients: list[str], msg: bytes) -> dict[str, tuple[int, bytes]]:
        """Read the group's replies in order and finish the transaction as smtplib's ``sendmail`` would have.
        A ``421`` (the server is closing) ends the reading there, with smtplib's exception for that command."""
        code, reply = self.getreply()
        if code == 421:
            self.close()
            raise smtplib.SMTPSenderRefused(code, reply, from_addr)
        sender_refused = (code, reply) if code != 250 else None
        refused: dict[str, tuple[int, bytes]] = {}
        for each in recipients:
            code, reply = self.getreply()
            if code not in (250, 251):
                refused[each] = (code, reply)
            if code == 421:
                self.close()
                raise smtplib.SMTPRecipientsRefused(refused)
        code, reply = self.getreply()  # DATA's
        if code == 421:
            self.close()
            raise smtplib.SMTPDataError(code, reply)
        if sender_refused or len(refused) == len(recipients):
            if code == 354:  # RFC 2920: a server may take DATA with no recipient; end it with a lone dot
                self.send(b".\r\n")
                self.getreply()
            self._reset()
            if sender_refused:
                raise smtplib.SMTPSenderRefused(*sender_refused, from_addr)
            raise smtplib.SMTPRecipientsRefused(refused)
        if code != 354:
            self._reset()  # smtplib leaves the transaction open here, so the next message's MAIL would be refused
            raise smtplib.SMTPDataError(code, reply)
        self.send(_terminated(msg))
        code, reply = self.getreply()
        if code != 250:
            if code == 421:
                self.close()
            else:
                self._reset()
            raise smtplib.SMTPDataError(code, reply)
        return refused

    def _reset(self) -> None:
        """smtplib's ``_rset``: ``RSET``, where a server that hung up meanwhile is told on the next command."""
        try:
            self.rset()
        except smtplib.SMTPServerDisconnected:
            pass

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        if not isinstance(msg, bytes) or msg.startswith(b".") or b"\n." in msg:
            return super().data(msg)  # quote_periods has something to double
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        self.send(_terminated(msg))
        return self.getreply()


def _terminated(msg: bytes) -> bytes:
    """The data as smtplib writes it after ``354``: lines starting with a dot doubled, then CRLF dot CRLF."""
    if msg.startswith(b".") or b"\n." in msg:
        msg = smtplib._quote_periods(msg)  # type: ignore[attr-defined]  # the stdlib's own, private
    return msg + b".\r\n" if msg.endswith(b"\r\n") else msg + b"\r\n.\r\n"


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
