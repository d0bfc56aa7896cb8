"""The college admin's LTI page under Settings: the registration URL to paste, the registrations, turning
one off and on (audited); other staff and other colleges are refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from issuers.keys import generate_key_pair
from issuers.models import AuditEntry
from issuers.scoping import tenant_scope
from lti.models import LtiRegistration
from lti.services import registration_url, registration_url_tenant


@pytest.fixture
def moodle(tenant_a):
    public, private = generate_key_pair()
    with tenant_scope(tenant_a):
        return LtiRegistration.objects.create(
            tenant=tenant_a, name="Moodle", issuer="https://moodle.a.example", client_id="c1",
            auth_url="https://moodle.a.example/auth", token_url="https://moodle.a.example/token",
            keyset_url="https://moodle.a.example/jwks", public_key_pem=public, private_key_encrypted=private)


def test_the_admin_sees_the_registration_url_and_the_registrations(client, alice, tenant_a, moodle):
    client.force_login(alice)
    page = client.get(reverse("lti:registrations", args=[tenant_a.slug]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "https://moodle.a.example" in text
    url = text.split('id="lti-registration-url">', 1)[1].split("<", 1)[0]
    assert registration_url_tenant(url.rstrip("/").rsplit("/", 1)[1]) == tenant_a


def test_turning_a_registration_off_and_on_is_audited(client, alice, tenant_a, moodle):
    client.force_login(alice)
    toggle = reverse("lti:registration_toggle", args=[tenant_a.slug, moodle.public_id])
    assert client.post(toggle).status_code == 302
    with tenant_scope(tenant_a):
        moodle.refresh_from_db()
        assert moodle.disabled_at is not None
        client.post(toggle)
        moodle.refresh_from_db()
        assert moodle.disabled_at is None
        assert list(AuditEntry.objects.filter(action__startswith="lti.").order_by("id").values_list(
            "action", "actor_label")) == [("lti.disable", alice.email), ("lti.enable", alice.email)]


def test_a_tutor_or_another_college_gets_no_lti_page(client, bob, charlie, tenant_a, tenant_b, moodle):
    client.force_login(bob)  # College A's tutor
    assert client.get(reverse("lti:registrations", args=[tenant_a.slug])).status_code in (403, 404)
    client.force_login(charlie)  # College B's admin, with A's registration id
    assert client.get(reverse("lti:registration", args=[tenant_b.slug, moodle.public_id])).status_code == 404


def test_another_colleges_registration_url_names_that_college_only(tenant_a, tenant_b):
    token_b = registration_url(tenant=tenant_b).rstrip("/").rsplit("/", 1)[1]
    assert registration_url_tenant(token_b) == tenant_b


def test_the_tool_key_is_re_encrypted_by_rotate_encryption_key(tenant_a, moodle, settings):
    from io import StringIO

    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from issuers.keys import decrypt_secret

    before = decrypt_secret(moodle.private_key_encrypted)
    settings.KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.KEY_ENCRYPTION_KEYS]
    call_command("rotate_encryption_key", stdout=StringIO())
    settings.KEY_ENCRYPTION_KEYS = settings.KEY_ENCRYPTION_KEYS[:1]  # the old key is gone
    with tenant_scope(tenant_a):
        moodle.refresh_from_db()
    assert decrypt_secret(moodle.private_key_encrypted) == before


def test_the_library_lookups_by_issuer_alone_find_a_lone_registration_and_its_deployments(moodle):
    """pylti1p3 may ask by issuer alone: the one live registration of that issuer answers, none when
    there is none or it is off."""
    from lti.tool import ToolConf

    conf = ToolConf()
    assert conf.find_registration_by_issuer("https://moodle.a.example").get_client_id() == "c1"
    assert conf.find_deployment("https://moodle.a.example", "d7").get_deployment_id() == "d7"
    assert ToolConf().find_registration_by_issuer("https://other.example") is None
    assert ToolConf().find_deployment("https://other.example", "d7") is None
