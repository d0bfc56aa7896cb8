"""The badge class pages: create with an image, edit (a new version once awarded), retire; who may."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from badges.models import BadgeClass
from issuers.scoping import tenant_scope
from tests.support import issue_one, png_bytes


def upload(data: bytes | None = None, name: str = "badge.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes() if data is None else data, content_type="image/png")


def _form(issuer, **extra):
    data = {"issuer": issuer.pk, "name": "Knife Skills", "description": "Uses a knife safely.",
            "criteria_narrative": "Dices an onion.", "criteria_url": "",
            "alignments": "Food prep | https://example.org/fp | City & Guilds | 7100\nHygiene | https://example.org/h",
            "tags": "catering, level 1, catering", "validity_days": "365", "image": upload()}
    data.update(extra)
    return data


def test_admin_creates_a_badge_class_with_image_alignments_and_tags(client, alice, tenant_a, issuer_a):
    client.force_login(alice)
    url = reverse("badges:create", args=[tenant_a.slug])
    assert client.get(url).status_code == 200
    response = client.post(url, _form(issuer_a))
    assert response.status_code == 302
    with tenant_scope(tenant_a):
        badge = BadgeClass.objects.get(name="Knife Skills")
    assert response.url == reverse("assertions:badge", args=[tenant_a.slug, badge.public_id])
    assert badge.issuer == issuer_a
    assert badge.tags == ["catering", "level 1"]
    assert badge.validity_days == 365
    assert badge.alignments == [
        {"targetName": "Food prep", "targetUrl": "https://example.org/fp", "targetFramework": "City & Guilds",
         "targetCode": "7100"},
        {"targetName": "Hygiene", "targetUrl": "https://example.org/h"},
    ]
    assert badge.image.name.endswith(".png")


def test_a_file_that_is_not_an_image_is_a_form_error_not_a_500(client, alice, tenant_a, issuer_a):
    client.force_login(alice)
    response = client.post(reverse("badges:create", args=[tenant_a.slug]),
                           _form(issuer_a, image=upload(b"just text, not a picture", "notes.png")))
    assert response.status_code == 200
    assert "This image cannot be used" in response.content.decode()
    with tenant_scope(tenant_a):
        assert not BadgeClass.objects.exists()


def test_a_too_small_image_is_explained(client, alice, tenant_a, issuer_a):
    client.force_login(alice)
    response = client.post(reverse("badges:create", args=[tenant_a.slug]),
                           _form(issuer_a, image=upload(png_bytes(size=40))))
    assert response.status_code == 200
    assert "This image cannot be used" in response.content.decode()


def test_missing_fields_bad_alignment_and_no_criteria_are_shown(client, alice, tenant_a, issuer_a):
    client.force_login(alice)
    response = client.post(reverse("badges:create", args=[tenant_a.slug]),
                           _form(issuer_a, name="", criteria_narrative="", alignments="Only a name", image=""))
    html = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in html
    assert "Line 1: give at least a name and a link" in html
    assert "Say what a learner must show" in html


def test_editing_an_unawarded_badge_changes_it_in_place(client, alice, tenant_a, badge_a):
    client.force_login(alice)
    url = reverse("badges:edit", args=[tenant_a.slug, badge_a.public_id])
    assert "Safe Scaffolding" in client.get(url).content.decode()
    response = client.post(url, {"name": "Safe Scaffolding L2", "description": "Erects a tower safely.",
                                 "criteria_narrative": "Builds a tower.", "tags": "construction"})
    assert response.status_code == 302
    badge_a.refresh_from_db()
    assert badge_a.name == "Safe Scaffolding L2"
    assert response.url.endswith(f"/badges/{badge_a.public_id}/")


def test_editing_an_awarded_badge_makes_a_new_version_and_says_so(client, alice, tenant_a, badge_a):
    with tenant_scope(tenant_a):
        issue_one(badge_class=badge_a, recipient_identity="ann@example.org", actor=alice)
    client.force_login(alice)
    url = reverse("badges:edit", args=[tenant_a.slug, badge_a.public_id])
    response = client.post(url, {"name": "Safe Scaffolding", "description": "Erects and inspects a tower.",
                                 "criteria_narrative": "Builds a tower.", "tags": "construction",
                                 "image": upload(png_bytes(colour=(200, 30, 30, 255)))}, follow=True)
    assert "made a new version" in response.content.decode()
    with tenant_scope(tenant_a):
        new = BadgeClass.objects.get(previous_version=badge_a)
    badge_a.refresh_from_db()
    assert badge_a.retired_at is not None
    assert new.description == "Erects and inspects a tower."
    assert new.image.name != badge_a.image.name


def test_retiring_stops_new_awards(client, alice, tenant_a, badge_a):
    client.force_login(alice)
    response = client.post(reverse("badges:retire", args=[tenant_a.slug, badge_a.public_id]), follow=True)
    assert "is retired" in response.content.decode()
    badge_a.refresh_from_db()
    assert badge_a.retired_at is not None
    award = client.post(reverse("assertions:award", args=[tenant_a.slug, badge_a.public_id]),
                        {"email": "ann@example.org", "name": "Ann", "issued_on": "2026-01-05"})
    assert "can no longer be awarded" in award.content.decode()


def test_viewer_cannot_create_edit_or_retire(client, viewer, tenant_a, issuer_a, badge_a):
    client.force_login(viewer)
    assert client.get(reverse("badges:create", args=[tenant_a.slug])).status_code == 403
    assert client.post(reverse("badges:create", args=[tenant_a.slug]), _form(issuer_a)).status_code == 403
    assert client.get(reverse("badges:edit", args=[tenant_a.slug, badge_a.public_id])).status_code == 403
    assert client.post(reverse("badges:retire", args=[tenant_a.slug, badge_a.public_id])).status_code == 403
    badge_a.refresh_from_db()
    assert badge_a.retired_at is None


def test_limited_issuer_only_creates_for_their_issuers_and_cannot_see_others(
        client, limited, tenant_a, issuer_a, other_issuer, badge_a):
    client.force_login(limited)
    page = client.get(reverse("badges:create", args=[tenant_a.slug])).content.decode()
    assert "College A Catering" in page
    assert "College A Construction" not in page
    refused = client.post(reverse("badges:create", args=[tenant_a.slug]), _form(issuer_a))
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    assert client.post(reverse("badges:create", args=[tenant_a.slug]), _form(other_issuer)).status_code == 302
    assert client.get(reverse("badges:edit", args=[tenant_a.slug, badge_a.public_id])).status_code == 404
    assert client.post(reverse("badges:retire", args=[tenant_a.slug, badge_a.public_id])).status_code == 404


def test_issuer_role_member_without_limits_may_manage_every_badge(client, bob, tenant_a, badge_a):
    client.force_login(bob)
    assert client.get(reverse("badges:edit", args=[tenant_a.slug, badge_a.public_id])).status_code == 200


def test_outsider_gets_404_on_every_badge_page(client, charlie, tenant_a, tenant_b, issuer_a, badge_a):
    client.force_login(charlie)
    for slug in (tenant_a.slug, tenant_b.slug):
        assert client.get(reverse("badges:edit", args=[slug, badge_a.public_id])).status_code == 404
        assert client.post(reverse("badges:retire", args=[slug, badge_a.public_id])).status_code == 404
    assert client.get(reverse("badges:create", args=[tenant_a.slug])).status_code == 404
    refused = client.post(reverse("badges:create", args=[tenant_b.slug]), _form(issuer_a))
    assert refused.status_code == 200  # his own college's form, which does not offer college A's issuer
    assert "Select a valid choice" in refused.content.decode()
    badge_a.refresh_from_db()
    assert badge_a.retired_at is None


@pytest.mark.parametrize(("days", "label"), [(1095, "3 years"), (365, "1 year"), (90, "90 days"), (1, "1 day"),
                                             (400, "400 days")])
def test_validity_reads_as_a_tutor_would_say_it(days, label):
    assert BadgeClass(validity_days=days).validity_label == label
