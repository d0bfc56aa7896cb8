"""Account emails (verify an address, reset a password, a sign-in code) go through the outbox.

allauth writes them inside the request; ``send_mail`` stores the message as an outbox row and a worker
sends it at once, once the request's transaction commits. A mail server that is down or says "try
later" is retried with backoff; a broker that is down leaves the row queued for the sweep. Either
way the page works, and nothing is lost.
"""

from __future__ import annotations

from typing import Any

from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site

from accounts.adapter import AccountAdapter
from issuers.outbox import ACCOUNT, email_queue


class OutboxAccountAdapter(AccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        request = allauth_context.request
        message = self.render_mail(template_prefix, email, {
            "request": request, "email": email, "current_site": get_current_site(request), **context})
        email_queue(kind=ACCOUNT, to=email, message=message)
