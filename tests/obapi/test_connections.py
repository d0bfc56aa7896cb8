"""The learner's side of connections: refusing on the consent page gives the platform nothing,
Connected platforms lists only live connections and Disconnect ends every token of that platform only,
and the daily sweep deletes tokens past their time."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from issuers.models import PeriodicRun
from obapi.tasks import tokens_expired_clear
from tests.support.obapi import ALL_SCOPES, PREFIX, REDIRECT, connect, register


def test_refusing_on_the_consent_page_gives_the_platform_nothing(client, learner):
    app = register(client)
    client.force_login(learner)
    query = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": REDIRECT, "scope": ALL_SCOPES,
             "state": "s1", "code_challenge": create_s256_code_challenge(generate_token(48)),
             "code_challenge_method": "S256"}
    page = client.get(f"{PREFIX}/oauth/authorize", query)
    assert "Connect Northgate LMS to your backpack?" in page.content.decode()
    assert "form-action 'self' https://lms.example" in page["Content-Security-Policy"]
    form = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    refused = client.post(f"{PREFIX}/oauth/authorize", form)  # no "allow"
    assert refused.status_code == 302
    assert parse_qs(urlsplit(refused["Location"]).query)["error"] == ["access_denied"]
    assert not AccessToken.objects.filter(user=learner).exists()


def test_a_code_without_pkce_is_not_given(client, learner):
    app = register(client)
    client.force_login(learner)
    page = client.get(f"{PREFIX}/oauth/authorize", {"response_type": "code", "client_id": app["client_id"],
                                                     "redirect_uri": REDIRECT, "scope": ALL_SCOPES})
    assert page.status_code == 302
    answer = parse_qs(urlsplit(page["Location"]).query)
    assert answer["error"] == ["invalid_request"]
    assert answer["error_description"] == ["Code challenge required."]
    assert "code" not in answer


def test_disconnect_ends_that_platforms_tokens_only(client, learner):
    northgate = connect(client, learner)
    other_app = register(client, name="Harbour Portfolio")
    harbour = connect(client, learner, app=other_app)
    client.force_login(learner)
    page = client.get("/backpack/platforms/").content.decode()
    assert "Northgate LMS" in page
    assert "Harbour Portfolio" in page
    response = client.post(f"/backpack/platforms/{northgate.client_id}/disconnect/")
    assert response.status_code == 302
    page = client.get("/backpack/platforms/").content.decode()
    assert "<h2>Northgate LMS</h2>" not in page
    assert "<h2>Harbour Portfolio</h2>" in page
    assert not AccessToken.objects.filter(application__client_id=northgate.client_id, user=learner).exists()
    assert not RefreshToken.objects.filter(application__client_id=northgate.client_id, user=learner).exists()
    client.logout()
    assert client.get(f"{PREFIX}/profile", **northgate.bearer()).status_code == 401
    assert client.get(f"{PREFIX}/profile", **harbour.bearer()).status_code == 200
    assert client.post(f"{PREFIX}/oauth/token", {
        "grant_type": "refresh_token", "refresh_token": northgate.refresh_token, "client_id": northgate.client_id,
        "client_secret": northgate.client_secret}).status_code == 400


def test_another_learner_cannot_disconnect_my_platform(client, learner, other_learner):
    mine = connect(client, learner)
    client.force_login(other_learner)
    assert client.post(f"/backpack/platforms/{mine.client_id}/disconnect/").status_code == 404
    assert "Northgate LMS" not in client.get("/backpack/platforms/").content.decode()
    client.logout()
    assert client.get(f"{PREFIX}/profile", **mine.bearer()).status_code == 200


def test_the_daily_sweep_deletes_expired_tokens_and_keeps_live_ones(client, learner):
    live = connect(client, learner)
    old = connect(client, learner, app=register(client, name="Old LMS"))
    long_ago = timezone.now() - timedelta(days=400)
    AccessToken.objects.filter(application__client_id=old.client_id).update(expires=long_ago)
    RefreshToken.objects.filter(application__client_id=old.client_id).update(revoked=long_ago)
    tokens_expired_clear.apply()
    assert not AccessToken.objects.filter(application__client_id=old.client_id, user=learner).exists()
    assert client.get(f"{PREFIX}/profile", **live.bearer()).status_code == 200
    assert PeriodicRun.objects.get(task="obapi.tasks.tokens_expired_clear").succeeded is True
