"""Email backends: SMTP that sends prepared bytes, and the embedded default (console and file)."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Sequence
from functools import lru_cache

from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPBackend
from django.core.mail.message import sanitize_address

# A batch has one sender: parse it once (Django's address parser costs ~0.1 ms a call).
_sender = lru_cache(maxsize=64)(sanitize_address)
# A bare address of printable ASCII without quotes, brackets or spaces comes out of Django's parser as it
# went in (tests/badgeplatform/test_mail.py); anything else is parsed.
_BARE_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+")


def recipient_address(address: str, encoding: str) -> str:
    """``sanitize_address``, without parsing an address that it would return unchanged."""
    return address if _BARE_ADDRESS.fullmatch(address) else sanitize_address(address, encoding)


class SMTPBackend(DjangoSMTPBackend):
    """Django's SMTP backend, except that a message carrying ``prepared`` bytes (CRLF line ends, as
    ``assertions.emails.PreparedEmail``) is sent as those bytes instead of being written again: writing
    a MIME message costs about a millisecond, and a cohort's award emails differ only in a few values."""

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
