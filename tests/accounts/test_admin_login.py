"""The Django admin has no door of its own: /admin/ is reached only through the site's login, so a
platform admin with TOTP never gets an admin session from the password alone."""

from __future__ import annotations

from django.urls import reverse

from tests.support import PASSWORD, totp_code


def test_posting_the_password_to_the_admin_login_gives_no_session(client, platform_admin):
    response = client.post(reverse("admin:login"), {"username": platform_admin.email, "password": PASSWORD,
                                                    "next": reverse("admin:index")})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("admin:index")).status_code == 302  # still outside


def test_the_admin_login_page_sends_visitors_to_the_site_login_and_back(client, db):
    response = client.get(reverse("admin:login") + "?next=/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=%2Fadmin%2Faccounts%2Fuser%2F"


def test_the_site_password_alone_stops_at_the_totp_step_for_a_platform_admin(client, platform_admin):
    response = client.post(reverse("account_login"), {"login": platform_admin.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("admin:index")).status_code == 302


def test_the_site_login_with_totp_opens_the_admin(client, platform_admin):
    client.post(reverse("account_login"), {"login": platform_admin.email, "password": PASSWORD,
                                           "next": reverse("admin:index")})
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(platform_admin)})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200
    # Signed in, the admin's login page just lets them through.
    assert client.get(reverse("admin:login") + "?next=/admin/accounts/user/")["Location"] == "/admin/accounts/user/"


def test_a_signed_in_account_without_admin_rights_is_refused_by_the_admin_login(client, alice):
    client.force_login(alice)
    assert client.get(reverse("admin:login")).status_code == 403


def test_the_admin_login_ignores_a_next_address_on_another_site(client, platform_admin):
    client.force_login(platform_admin)
    response = client.get(reverse("admin:login") + "?next=https://evil.example/")
    assert response["Location"] == reverse("admin:index")
