"""Another platform connects to a learner's backpack by the Open Badges 3.0 API, as a platform would:
Authlib's OAuth 2.0 client (not ours) reads the discovery document, registers (RFC 7591), sends the
learner to consent in Chromium (the learner signs in, reads the named scopes, allows), exchanges the
code with PKCE, lists the learner's credentials, pushes one, refreshes its token and revokes it; the
learner then sees the platform under Connected platforms and disconnects it. Screenshots of the
consent page and the settings page at desktop and phone sizes."""

from __future__ import annotations

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from playwright.sync_api import expect

from backpack.models import ImportedBadge
from tests.browser.support import ARTIFACTS, look_at_both_sizes
from tests.support import PASSWORD, make_user, ob3
from tests.support.foreign import Server
from tests.support.learners import award
from tests.support.ob3 import LEARNER_EMAIL
from tests.support.obapi import ALL_SCOPES, PREFIX, registration

pytestmark = pytest.mark.browser
harbour = ob3.harbour  # the foreign OB 3.0 issuer's fixture, whose credential the platform pushes
SHOTS = ARTIFACTS / "obapi"


@pytest.fixture
def platform_site():
    """The platform's own web server on loopback, where the learner's browser comes back with the code."""
    site = Server()
    yield site
    site.close()


def _sign_in_and_allow(page, authorization_url: str, redirect: str) -> str:
    """The learner's part: sign in, read what the platform asks for, allow. Returns where it lands."""
    page.goto(authorization_url)
    page.fill("input[name=login]", LEARNER_EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form [type=submit]").click()
    expect(page.get_by_role("heading", name="Connect Northgate LMS to your backpack?")).to_be_visible()
    expect(page.locator(".obapi-scopes li")).to_have_count(4)
    expect(page.locator(".obapi-scopes")).to_contain_text("Add Open Badges 3.0 credentials to your backpack")
    expect(page.get_by_text("(at 127.0.0.1)")).to_be_visible()
    look_at_both_sizes(page, "consent", SHOTS)
    with page.expect_navigation(url=f"{redirect}**"):
        page.get_by_role("button", name="Allow").click()
    return page.url


def test_a_platform_connects_lists_pushes_refreshes_and_the_learner_disconnects_it(
        live_server, browser, transactional_db, settings, harbour, badge_a, platform_site):
    settings.PUBLIC_BASE_URL = base = live_server.url
    settings.OBAPI_REGISTER_RATE_LIMIT = "100000/minute"  # from 127.0.0.1 every run; the limit has its own test
    redirect = platform_site.url("/ob3/callback")
    settings.VERIFY_ALLOW_PRIVATE_ADDRESSES = True  # Harbour College, the pushed credential's issuer, is on loopback
    make_user(LEARNER_EMAIL)
    ours = award(badge_a, LEARNER_EMAIL)

    # --- the platform: discovery and registration -------------------------------------------------
    discovery = requests.get(f"{base}{PREFIX}/discovery", timeout=30).json()
    scheme = discovery["components"]["securitySchemes"]["OAuth2ACG"]
    flow = scheme["flows"]["authorizationCode"]
    assert set(flow["scopes"]) == set(ALL_SCOPES.split())
    registered = requests.post(scheme["x-imssf-registrationUrl"], json=registration(redirect=redirect), timeout=30)
    assert registered.status_code == 201, registered.text
    app = registered.json()
    platform = OAuth2Session(app["client_id"], app["client_secret"], scope=ALL_SCOPES, redirect_uri=redirect,
                             code_challenge_method="S256")
    verifier = generate_token(48)
    authorization_url, _state = platform.create_authorization_url(flow["authorizationUrl"], code_verifier=verifier)

    # --- the learner consents in the browser --------------------------------------------------------
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    landed = _sign_in_and_allow(page, authorization_url, redirect)
    token = platform.fetch_token(flow["tokenUrl"], authorization_response=landed, code_verifier=verifier)
    assert set(token["scope"].split()) == set(ALL_SCOPES.split())

    # --- list, push, list again ---------------------------------------------------------------------
    api = discovery["servers"][0]["url"]
    listed = platform.get(f"{api}/credentials")
    assert listed.status_code == 200, listed.text
    assert listed.headers["X-Total-Count"] == "1"
    assert listed.json()["credential"][0]["id"].endswith(str(ours.public_id))
    good = harbour.cases["good"].data
    pushed = platform.post(f"{api}/credentials", data=good, headers={"Content-Type": "application/vc+ld+json"})
    assert pushed.status_code == 201, pushed.text
    assert pushed.content == good
    assert ImportedBadge.objects.get().verdict == "valid"
    again = platform.get(f"{api}/credentials", params={"limit": 1})
    assert again.headers["X-Total-Count"] == "2"
    assert 'rel="next"' in again.headers["Link"]
    assert platform.get(f"{api}/profile").json()["email"] == LEARNER_EMAIL

    # --- refresh: a new access token, and a new refresh token --------------------------------------
    old_refresh = token["refresh_token"]
    fresh = platform.refresh_token(flow["refreshUrl"])
    assert fresh["access_token"] != token["access_token"]
    assert platform.get(f"{api}/credentials").status_code == 200

    # --- the learner sees the platform in Settings and disconnects it ------------------------------
    page.goto(f"{base}/backpack/")
    page.get_by_role("link", name="Settings: connected platforms").click()
    expect(page.get_by_role("heading", name="Northgate LMS")).to_be_visible()
    expect(page.locator(".obapi-platforms")).to_contain_text("127.0.0.1 · connected")
    look_at_both_sizes(page, "connected-platforms", SHOTS)
    page.get_by_role("button", name="Disconnect Northgate LMS").click()
    expect(page.get_by_text("Northgate LMS is disconnected")).to_be_visible()
    expect(page.get_by_text("No platform is connected")).to_be_visible()
    refused = platform.get(f"{api}/credentials")
    assert refused.status_code == 401
    assert refused.json()["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == \
        "unauthorizedrequest"
    for spent in (old_refresh, fresh["refresh_token"]):
        with pytest.raises(OAuthError):
            OAuth2Session(app["client_id"], app["client_secret"]).refresh_token(flow["refreshUrl"], refresh_token=spent)
    context.close()


def test_a_platform_revokes_its_own_token(live_server, browser, transactional_db, settings, platform_site):
    settings.PUBLIC_BASE_URL = base = live_server.url
    settings.OBAPI_REGISTER_RATE_LIMIT = "100000/minute"  # from 127.0.0.1 every run; the limit has its own test
    redirect = platform_site.url("/ob3/callback")
    make_user(LEARNER_EMAIL)
    discovery = requests.get(f"{base}{PREFIX}/discovery", timeout=30).json()
    scheme = discovery["components"]["securitySchemes"]["OAuth2ACG"]
    flow = scheme["flows"]["authorizationCode"]
    app = requests.post(scheme["x-imssf-registrationUrl"], json=registration(redirect=redirect), timeout=30).json()
    platform = OAuth2Session(app["client_id"], app["client_secret"], scope=ALL_SCOPES, redirect_uri=redirect,
                             code_challenge_method="S256")
    verifier = generate_token(48)
    authorization_url, _ = platform.create_authorization_url(flow["authorizationUrl"], code_verifier=verifier)
    page = browser.new_page()
    page.set_default_timeout(15_000)
    token = platform.fetch_token(flow["tokenUrl"], authorization_response=_sign_in_and_allow(
        page, authorization_url, redirect), code_verifier=verifier)
    api = discovery["servers"][0]["url"]
    assert platform.get(f"{api}/profile").status_code == 200
    revocation = base + f"{PREFIX}/oauth/revoke"
    assert platform.revoke_token(revocation, token=token["access_token"],
                                 token_type_hint="access_token").status_code == 200
    assert platform.get(f"{api}/profile").status_code == 401
    assert platform.revoke_token(revocation, token=token["refresh_token"],
                                 token_type_hint="refresh_token").status_code == 200
    with pytest.raises(OAuthError):
        platform.refresh_token(flow["refreshUrl"], refresh_token=token["refresh_token"])
