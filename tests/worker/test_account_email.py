"""Account emails (verify an address, reset a password) when the mail server is down: the page works,
and a real worker sends the email once the mail server is back."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.support import PASSWORD
from tests.support.servers import SmtpSink, wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_sign_up_while_the_mail_server_is_down_works_and_the_worker_sends_the_email_when_it_is_back(
        client, settings, start_worker):
    mail_server = SmtpSink()  # not started yet: nothing answers on its port
    mail_server.settings_for(settings)
    worker = start_worker(smtp_port=mail_server.port)

    response = client.post(reverse("account_signup"), {
        "email": "new.learner@example.org", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302  # not a 500: the email was handed to the worker

    mail_server.start()  # the worker sends it now, or on its retry if its first try came too early
    try:
        wait_for(lambda: mail_server.messages, timeout=60, alive=worker.assert_alive,
                 message="the worker did not send the verification email once the mail server was back")
        (message,) = mail_server.messages
        assert message["To"] == "new.learner@example.org"
        confirm = re.search(r"https?://testserver(\S+)", message.get_body(("plain",)).get_content()).group(1)
        assert client.post(confirm).status_code == 302
        assert client.get(reverse("account_email")).status_code == 200  # verified and logged in
    finally:
        mail_server.stop()
