"""Account emails (verify an address, reset a password) that a mail server outage cannot lose.

allauth sends them inside the request. They still go out at once when the mail server answers, so
a learner has the link within seconds; when it cannot take the message (down, or "try later") the
message is handed to the worker (``accounts.tasks.send_account_email``), which retries with backoff,
instead of the page failing with a 500.
"""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import EmailMessage
from django.http import HttpRequest

from accounts.network import client_address
from accounts.tasks import as_data, permanent, send_account_email

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        # One configured place for the client address (TRUSTED_PROXY_COUNT / TRUSTED_CLIENT_IP_HEADER).
        return client_address(request)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        request = allauth_context.request
        message = self.render_mail(template_prefix, email, {
            "request": request, "email": email, "current_site": get_current_site(request), **context})
        account_email_send(message)


def account_email_send(message: EmailMessage) -> None:
    """Send now; on a temporary failure queue it for the worker. A refused address is logged: no retry
    would get it there."""
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        if permanent(exc):
            logger.error("Account email to %s refused by the mail server: %s", message.to, exc)
            return
        logger.warning("Mail server unavailable (%s): account email to %s queued for the worker", exc, message.to)
        try:
            send_account_email.delay(message=as_data(message))
        except Exception:  # noqa: BLE001 - broker down too: nothing left to hand it to
            logger.exception("Account email to %s could not be sent or queued; the learner can ask again",
                             message.to)


