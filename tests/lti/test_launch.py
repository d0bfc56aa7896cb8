"""LTI 1.3 against a platform we did not write (lti1p3platform, tests/support/lti_platform.py): Dynamic
Registration from the college's URL, the OIDC login and launch, and forged or replayed launches refused."""

from __future__ import annotations

import jwt
import requests

from issuers.keys import decrypt_secret
from issuers.scoping import tenant_scope
from lti.models import LtiRegistration
from lti.services import registration_url
from tests.support.lti_platform import AMY, TEACHER, form_of, open_launch, register, rsa_pair


def test_dynamic_registration_registers_the_tool_with_the_platform_for_the_college(platform, tenant_a):
    answer = register(platform, tenant_a)
    assert "org.imsglobal.lti.close" in answer.text  # the platform's window closes itself
    with tenant_scope(tenant_a):
        registration = LtiRegistration.objects.get()
    assert (registration.issuer, registration.client_id) == (platform.url, platform.client_id)
    assert registration.deployment_ids == [platform.deployment_id]
    assert registration.name == "moodle"
    # The platform holds our login, launch and key-set URLs, naming this registration.
    assert str(registration.public_id) in platform.tool["initiate_login_uri"]
    assert str(registration.public_id) in platform.tool["jwks_uri"]
    # The tool's key is encrypted at rest: no PEM in the column, and it decrypts to the key of the public half.
    assert b"PRIVATE KEY" not in bytes(registration.private_key_encrypted)
    assert decrypt_secret(registration.private_key_encrypted).startswith(b"-----BEGIN PRIVATE KEY")


def test_a_forged_or_expired_registration_url_is_refused(platform, tenant_a):
    url = registration_url(tenant=tenant_a)
    forged = url.replace("/register/", "/register/x")
    answer = requests.get(platform.dynamic_registration_url(forged), timeout=30)
    assert answer.status_code == 400
    assert "not one of ours" in answer.text
    assert platform.tool is None
    with tenant_scope(tenant_a):
        assert not LtiRegistration.objects.exists()


def test_a_learner_launch_opens_the_tool(platform, tenant_a):
    register(platform, tenant_a)
    answer, _ = open_launch(requests.Session(), platform, AMY, custom={"badge_link": "none"})
    # The launch was accepted (signature, nonce, deployment): the page says what is missing, a badge link.
    assert answer.status_code == 403
    assert "does not name a badge of this college" in answer.text


def test_a_launch_signed_with_another_key_is_refused(platform, tenant_a):
    register(platform, tenant_a)
    browser = requests.Session()
    auth_page = browser.get(platform.login_url(TEACHER, deep_link=True), timeout=30)
    action, fields = form_of(auth_page.text)
    claims = jwt.decode(fields["id_token"], options={"verify_signature": False})
    header = jwt.get_unverified_header(fields["id_token"])
    forger_key, _ = rsa_pair()
    fields["id_token"] = jwt.encode(claims, forger_key, algorithm="RS256", headers={"kid": header["kid"]})
    answer = browser.post(action, data=fields, timeout=30)
    assert answer.status_code == 403
    assert "refused" in answer.text
    assert "Choose the badge" not in answer.text


def test_a_replayed_launch_is_refused(platform, tenant_a):
    register(platform, tenant_a)
    browser = requests.Session()
    first, fields = open_launch(browser, platform, TEACHER, deep_link=True)
    assert first.status_code == 200
    assert "Add this badge to the course" in first.text
    again = browser.post(first.url, data=fields, timeout=30)  # the same id_token, state and cookies
    assert again.status_code == 403
    assert "already used" in again.text


def test_a_launch_through_a_turned_off_registration_is_refused(platform, tenant_a):
    from lti.services import registration_disable

    register(platform, tenant_a)
    with tenant_scope(tenant_a):
        registration_disable(registration=LtiRegistration.objects.get())
    refused = requests.get(platform.login_url(TEACHER, deep_link=True), timeout=30)  # our login answers at once
    assert refused.status_code == 400
    assert "login request was refused" in refused.text


def test_a_platform_on_a_private_address_is_refused_unless_allowed(platform, tenant_a, settings):
    settings.LTI_ALLOW_PRIVATE_ADDRESSES = False  # the safe fetcher's rules, as in production
    answer = requests.get(platform.dynamic_registration_url(registration_url(tenant=tenant_a)), timeout=30)
    assert answer.status_code == 400
    assert "could not be reached" in answer.text
    assert platform.tool is None


def test_a_platform_client_already_registered_with_another_college_is_refused(platform, tenant_a, tenant_b):
    register(platform, tenant_a)
    answer = requests.get(platform.dynamic_registration_url(registration_url(tenant=tenant_b)), timeout=60)
    assert answer.status_code == 400
    assert "already belongs to another college" in answer.text
    with tenant_scope(tenant_a):
        assert LtiRegistration.objects.count() == 1
    with tenant_scope(tenant_b):
        assert not LtiRegistration.objects.exists()


def test_a_malformed_launch_gets_a_clear_refusal_not_an_error(platform, tenant_a, tool):
    import base64
    import json

    register(platform, tenant_a)
    launch_url = f"{tool.url}/lti/launch/"

    def part(value) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    for fields in ({}, {"state": "x"}, {"state": "x", "id_token": "not-a-jwt"},
                   {"state": "x", "id_token": f"{part({'alg': 'RS256'})}.{part([1, 2])}.sig"},
                   {"state": "x", "id_token": f"{part({'alg': 'RS256', 'kid': 'k'})}.{part({'iss': platform.url})}.x"}):
        answer = requests.post(launch_url, data=fields, timeout=30)
        assert answer.status_code == 403, (fields, answer.status_code)
        assert "refused" in answer.text
