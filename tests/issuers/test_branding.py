"""A college's branding: WCAG contrast computed right (known values), the college's colour paired with a
readable text colour and a readable shade on white; the logo upload in Settings passes the badge image
checks; the LinkedIn organisation id; and staff invitations that prove the address and sign up in one step."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from assertions import links
from issuers.branding import INK, WHITE, brand_of, contrast_ratio, ink_on_white, relative_luminance, text_on
from issuers.models import AuditEntry, Invitation, Membership, OutboxEmail, Role, Tenant
from issuers.scoping import tenant_scope
from issuers.services import invitation_create
from tests.support import issue_one, make_user, png_bytes

pytestmark = pytest.mark.django_db


# --- contrast ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("first", "second", "ratio"), [
    ("#000000", "#ffffff", 21.0),  # the largest there is
    ("#ffffff", "#ffffff", 1.0),
    ("#767676", "#ffffff", 4.54),  # the palest grey that passes AA on white
    ("#777777", "#ffffff", 4.48),  # one step paler: fails
    ("#ffff00", "#000000", 19.56),
    ("#1d4ed8", "#ffffff", 6.70),
])
def test_contrast_ratios_match_the_wcag_formula(first, second, ratio):
    assert round(contrast_ratio(first, second), 2) == ratio
    assert contrast_ratio(first, second) == contrast_ratio(second, first)


def test_relative_luminance_of_black_white_and_pure_green():
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#ffffff") == pytest.approx(1)
    assert relative_luminance("#00ff00") == pytest.approx(0.7152)


@pytest.mark.parametrize(("colour", "text"), [
    ("#1d4ed8", WHITE), ("#0f766e", WHITE), ("#ffff00", INK), ("#fde047", INK),
    ("#777777", "#000000"),  # neither white (4.48) nor our ink reaches 4.5 on this grey; black does (4.69)
])
def test_text_on_a_colour_is_the_readable_one(colour, text):
    assert text_on(colour) == text
    assert contrast_ratio(colour, text_on(colour)) >= 4.5


def test_a_pale_colour_keeps_its_hue_but_darkens_to_read_on_white():
    assert ink_on_white("#1d4ed8") == "#1d4ed8"  # already readable: unchanged
    shade = ink_on_white("#fde047")
    assert contrast_ratio(shade, WHITE) >= 4.5
    assert shade == "#847425"  # the lightest darker shade that passes
    assert brand_of("#FDE047").colour == "#fde047"


# --- settings: logo, colour, LinkedIn --------------------------------------------------------------------


def _settings_post(client, tenant, **extra):
    data = {"name": tenant.name, "contact_email": "", "reply_to_email": "", "primary_colour": tenant.primary_colour,
            "linkedin_organization_id": "", "timezone": tenant.timezone,
            "certificate_orientation": tenant.certificate_orientation, **extra}
    return client.post(reverse("issuers:settings", args=[tenant.slug]), data)


def test_an_admin_uploads_a_logo_that_passes_the_badge_image_checks(client, alice, tenant_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(alice)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = _settings_post(client, tenant_a, logo_file=SimpleUploadedFile("logo.png", png_bytes(120), "image/png"))
    assert response.status_code == 302
    tenant = Tenant.objects.get(pk=tenant_a.pk)
    assert tenant.logo.name.endswith(".png")
    assert tenant.logo.read() == png_bytes(120)
    with tenant_scope(tenant_a):
        assert "logo" in AuditEntry.objects.get(action="tenant.update").data["changed"]


def test_the_logo_on_the_colleges_pages_loads_with_debug_off_from_our_own_view(client, alice, tenant_a, settings,
                                                                               tmp_path):
    settings.MEDIA_ROOT, settings.DEBUG = tmp_path, False  # production: nothing serves /media/
    client.force_login(alice)
    from django.core.files.uploadedfile import SimpleUploadedFile

    _settings_post(client, tenant_a, logo_file=SimpleUploadedFile("logo.png", png_bytes(120), "image/png"))
    tenant = Tenant.objects.get(pk=tenant_a.pk)
    page = client.get(reverse("issuers:settings", args=[tenant.slug])).content.decode()
    assert f'src="{tenant.logo_url}"' in page
    assert not tenant.logo_url.startswith(settings.MEDIA_URL)
    client.logout()  # it heads public pages and emails: no sign-in needed
    response = client.get(tenant.logo_url)
    assert (response.status_code, response["Content-Type"], response.content) == (200, "image/png", png_bytes(120))
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_college_without_a_logo_has_no_logo_url_and_its_logo_address_is_404(client, tenant_a):
    assert tenant_a.logo_url == ""
    assert client.get(reverse("college_logo", args=[tenant_a.public_id])).status_code == 404


def test_a_logo_the_badge_checks_refuse_is_refused_with_the_reason(client, alice, tenant_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(alice)
    from django.core.files.uploadedfile import SimpleUploadedFile

    wide = b'<svg xmlns="http://www.w3.org/2000/svg" width="300" height="80"><rect width="300" height="80"/></svg>'
    response = _settings_post(client, tenant_a, logo_file=SimpleUploadedFile("logo.svg", wide, "image/svg+xml"))
    assert response.status_code == 200
    assert "Badge images must be square" in response.content.decode()
    response = _settings_post(client, tenant_a, logo_file=SimpleUploadedFile("logo.gif", b"GIF89a....", "image/gif"))
    assert "must be PNG or SVG" in response.content.decode()
    assert not Tenant.objects.get(pk=tenant_a.pk).logo


def test_an_svg_logo_is_stored_sanitised(client, alice, tenant_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(alice)
    from django.core.files.uploadedfile import SimpleUploadedFile

    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><script>alert(1)</script>'
           b'<circle cx="50" cy="50" r="40" fill="#0f766e" onclick="alert(2)"/></svg>')
    upload = SimpleUploadedFile("l.svg", svg, "image/svg+xml")
    assert _settings_post(client, tenant_a, logo_file=upload).status_code == 302
    stored = Tenant.objects.get(pk=tenant_a.pk).logo.read()
    assert b"<circle" in stored
    assert b"script" not in stored
    assert b"onclick" not in stored


def test_the_settings_page_says_which_text_colour_goes_on_the_college_colour(client, alice, tenant_a):
    client.force_login(alice)
    assert _settings_post(client, tenant_a, primary_colour="#fde047").status_code == 302
    page = client.get(reverse("issuers:settings", args=[tenant_a.slug])).content.decode()
    assert "Text on your colour is <strong>black</strong>: contrast 13.46:1" in page
    assert "<code>#847425</code>, a darker shade of <code>#fde047</code>" in page
    assert "--brand: #fde047; --brand-text: #111827; --brand-ink: #847425;" in page


def test_settings_are_404_to_a_tutor(client, bob, tenant_a):
    client.force_login(bob)
    assert client.get(reverse("issuers:settings", args=[tenant_a.slug])).status_code == 404


def test_the_linkedin_organisation_id_is_a_number_and_is_sent_to_linkedin(client, alice, tenant_a, badge_a):
    client.force_login(alice)
    response = _settings_post(client, tenant_a, linkedin_organization_id="acme")
    assert "is a number" in response.content.decode()
    with tenant_scope(tenant_a):
        award = issue_one(badge_class=badge_a, recipient_identity="lee@example.org", notify=False)
        query = parse_qs(urlsplit(links.linkedin_add_url(award)).query)
    assert query["organizationName"] == ["College A Construction"]  # no id: the name
    assert "organizationId" not in query
    assert _settings_post(client, tenant_a, linkedin_organization_id="1337").status_code == 302
    with tenant_scope(tenant_a):
        award.refresh_from_db()
        award.tenant.refresh_from_db()
        query = parse_qs(urlsplit(links.linkedin_add_url(award)).query)
    assert query["organizationId"] == ["1337"]
    assert "organizationName" not in query


# --- staff invitations ------------------------------------------------------------------------------------


def _invitation_link(tenant, email, actor) -> str:
    with tenant_scope(tenant):
        _, url = invitation_create(tenant=tenant, email=email, role=Role.ISSUER, actor=actor)
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_a_new_tutor_signs_up_from_the_invitation_with_the_address_proven_and_no_second_email(
        client, alice, tenant_a):
    link = _invitation_link(tenant_a, "dana@college-a.example", alice)
    page = client.get(link).content.decode()
    assert 'value="dana@college-a.example" readonly' in page
    emails_before = OutboxEmail.objects.count()
    response = client.post(link, {"name": "Dana Scully", "password1": "a-long-pass-phrase-9", "password2":
                                  "a-long-pass-phrase-9"})
    assert response.status_code == 302
    assert response["Location"] == reverse("issuers:dashboard", args=[tenant_a.slug])
    dana = Membership.objects.none()
    with tenant_scope(tenant_a):
        dana = Membership.objects.select_related("user").get(user__email="dana@college-a.example")
        assert dana.role == Role.ISSUER
        assert Invitation.objects.get(email="dana@college-a.example").accepted_by == dana.user
    assert dana.user.emailaddress_set.get().verified
    assert OutboxEmail.objects.count() == emails_before  # no confirmation email
    assert client.get(reverse("issuers:dashboard", args=[tenant_a.slug])).status_code == 200  # signed in
    assert client.post(link, {"password1": "x", "password2": "x"}).status_code in {200, 400}  # used: no second


def test_an_invited_address_that_has_an_account_is_asked_to_log_in(client, alice, tenant_a):
    make_user("erin@college-a.example")
    link = _invitation_link(tenant_a, "erin@college-a.example", alice)
    page = client.get(link).content.decode()
    assert "already has an account: log in to accept" in page
    assert "password1" not in page
    response = client.post(link, {"password1": "a-long-pass-phrase-9", "password2": "a-long-pass-phrase-9"})
    assert "password1" not in response.content.decode()
    with tenant_scope(tenant_a):
        assert not Membership.objects.filter(user__email="erin@college-a.example").exists()


def test_the_invitation_sign_up_keeps_the_password_rules(client, alice, tenant_a):
    link = _invitation_link(tenant_a, "fay@college-a.example", alice)
    response = client.post(link, {"password1": "short", "password2": "short"})
    assert response.status_code == 400
    assert "too short" in response.content.decode()
    with tenant_scope(tenant_a):
        assert not Membership.objects.filter(user__email="fay@college-a.example").exists()


def test_the_award_email_carries_the_logo_and_a_readable_text_colour(tenant_a, badge_a, settings, tmp_path):
    from django.core.files.base import ContentFile

    from assertions.emails import award_message

    settings.MEDIA_ROOT = tmp_path
    tenant_a.primary_colour = "#fde047"
    tenant_a.logo.save("logo.png", ContentFile(png_bytes(120)), save=True)
    with tenant_scope(tenant_a):
        award = issue_one(badge_class=badge_a, recipient_identity="lee@example.org", notify=False)
        html = award_message(award).alternatives[0][0]
    assert f'src="{settings.PUBLIC_BASE_URL}{tenant_a.logo_url}"' in html
    assert "background:#fde047;color:#111827" in html  # dark text on the pale colour, never white
    assert "color:#847425" in html  # links in the shade that reads on white
