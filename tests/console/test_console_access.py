"""The platform console is for platform staff only, with two-factor authentication: a superuser without
TOTP is sent to set it up, a college admin is refused, a visitor is sent to log in."""

from __future__ import annotations

from django.urls import reverse

from tests.support import PASSWORD, make_user, totp_code

PAGES = ["console:colleges", "console:health", "console:colleges_csv", "console:domains"]


def test_a_visitor_is_sent_to_log_in(client, db):
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_a_college_admin_is_refused_every_console_page(client, charlie, tenant_a):
    client.force_login(charlie)
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 403
    urls = [reverse(n, args=[tenant_a.public_id]) for n in (
        "console:college", "console:college_usage_csv")]
    for url in urls:
        assert client.get(url).status_code == 403
    for name in ("console:college_status", "console:college_limits", "console:college_offboard"):
        assert client.post(reverse(name, args=[tenant_a.public_id]), {"reason": "x", "grace_days": 0,
                                                                      "confirm": tenant_a.slug}).status_code == 403
    tenant_a.refresh_from_db()
    assert tenant_a.is_active


def test_a_superuser_without_totp_is_sent_to_set_it_up(client, db):
    root = make_user("ops@platform.example")
    root.is_superuser = root.is_staff = True
    root.save()
    client.force_login(root)
    response = client.get(reverse("console:colleges"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('mfa_activate_totp')}?next={reverse('console:colleges')}"
    # allauth's TOTP set-up, which asks for the password again first
    assert client.get(response["Location"])["Location"].startswith(reverse("account_reauthenticate"))


def test_a_platform_admin_signs_in_with_password_and_totp_and_opens_the_console(client, platform_admin, tenant_a):
    client.post(reverse("account_login"), {"login": platform_admin.email, "password": PASSWORD,
                                           "next": reverse("console:colleges")})
    assert client.get(reverse("console:colleges")).status_code == 302  # not signed in before the code
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(platform_admin)})
    assert response["Location"] == reverse("console:colleges")
    page = client.get(reverse("console:colleges"))
    assert page.status_code == 200
    assert b"College A" in page.content
