"""Sign-up, email verification, login and password reset through allauth's real views. Their emails go
through the outbox: queued by the page, sent by the worker (here, in this process at commit)."""

from __future__ import annotations

import re

from django.core import mail
from django.urls import reverse

from issuers.models import OutboxEmail
from issuers.outbox import ACCOUNT
from issuers.tasks import outbox_sweep
from tests.support import PASSWORD, broker_down, emails_sent
from tests.support.servers import SmtpSink


def _link(message) -> str:
    return re.search(r"https?://testserver(\S+)", message.body).group(1)


def test_signup_requires_email_verification_then_logs_in(client, db, django_capture_on_commit_callbacks):
    with emails_sent(django_capture_on_commit_callbacks):
        response = client.post(reverse("account_signup"), {
            "email": "New.Learner@Example.org", "password1": PASSWORD, "password2": PASSWORD,
        })
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "new.learner@example.org" in mail.outbox[0].to[0].lower()
    # Not logged in before verification.
    assert client.get(reverse("account_email")).status_code == 302

    confirm = _link(mail.outbox[0])
    assert client.get(confirm).status_code == 200
    response = client.post(confirm)
    assert response.status_code == 302
    assert client.get(reverse("account_email")).status_code == 200


def test_login_with_email_and_wrong_password_is_refused(client, alice):
    bad = client.post(reverse("account_login"), {"login": alice.email, "password": "wrong-password"})
    assert bad.status_code == 200
    assert b"not correct" in bad.content or b"incorrect" in bad.content.lower()
    ok = client.post(reverse("account_login"), {"login": alice.email.upper(), "password": PASSWORD})
    assert ok.status_code == 302
    assert client.get(reverse("account_email")).status_code == 200


def test_password_reset_sets_a_new_password(client, alice, django_capture_on_commit_callbacks):
    with emails_sent(django_capture_on_commit_callbacks):
        client.post(reverse("account_reset_password"), {"email": alice.email})
    assert len(mail.outbox) == 1
    link = _link(mail.outbox[0])
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    new_password = "a-brand-new-password-42"
    response = client.post(form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
                           {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    client.logout()
    assert client.login(email=alice.email, password=new_password)


def test_logout_is_a_post(client, alice):
    client.force_login(alice)
    client.post(reverse("account_logout"))
    assert client.get(reverse("account_email")).status_code == 302


def test_a_refused_address_is_recorded_with_the_servers_words_and_never_fails_the_sign_up(
        client, db, settings, django_capture_on_commit_callbacks):
    refusing = SmtpSink(reply="550 5.1.1 No such mailbox").start()
    refusing.settings_for(settings)
    try:
        with emails_sent(django_capture_on_commit_callbacks):
            response = client.post(reverse("account_signup"), {
                "email": "nobody@example.org", "password1": PASSWORD, "password2": PASSWORD})
    finally:
        refusing.stop()
    assert response.status_code == 302
    (email,) = OutboxEmail.objects.filter(kind=ACCOUNT, to="nobody@example.org")
    assert email.status == OutboxEmail.Status.FAILED  # not retried: no retry would get it there
    assert "550 5.1.1 No such mailbox" in email.error


def test_an_account_email_queued_while_the_mail_server_and_the_broker_are_down_is_sent_by_the_sweep(
        client, db, settings, django_capture_on_commit_callbacks, caplog):
    mail_server = SmtpSink()  # not started: nothing answers on its port
    mail_server.settings_for(settings)
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_signup"), {
            "email": "somebody@example.org", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302  # not a 500
    assert "Broker unavailable" in caplog.text
    (email,) = OutboxEmail.objects.filter(kind=ACCOUNT, to="somebody@example.org")
    assert (email.status, email.tenant) == (OutboxEmail.Status.QUEUED, None)  # nothing lost: the row waits

    mail_server.start()
    try:
        settings.PIPELINE_STUCK_AFTER = 0
        with emails_sent(django_capture_on_commit_callbacks):
            assert outbox_sweep()["requeued"] == 1
            assert outbox_sweep()["requeued"] == 0  # sent: never again
        (message,) = mail_server.messages
    finally:
        mail_server.stop()
    assert message["To"] == "somebody@example.org"
    assert "/accounts/confirm-email/" in message.get_body(("plain",)).get_content()
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT


def test_a_learner_signs_in_with_a_code_sent_by_email_instead_of_a_password(
        client, alice, django_capture_on_commit_callbacks):
    page = client.get(reverse("account_login"))
    assert reverse("account_request_login_code").encode() in page.content
    with emails_sent(django_capture_on_commit_callbacks):
        response = client.post(reverse("account_request_login_code"), {"email": alice.email})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == [alice.email]
    code = re.search(r"^\s*([A-Z0-9]{3,}-?[A-Z0-9]{3,})\s*$", message.body, re.MULTILINE).group(1)
    wrong = client.post(reverse("account_confirm_login_code"), {"code": "AAAAAA" if code != "AAAAAA" else "BBBBBB"})
    assert wrong.status_code == 200  # refused, asked again
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("account_email")).status_code == 200  # signed in
