"""The Open Badges 3.0 API over Django's test client, with tokens got through the real OAuth 2.0 flow
(registration, consent, code with PKCE): what each endpoint returns, paging, upsert, the profile, and
every refusal in the spec's Imsx_StatusInfo (no token, an expired or revoked one, the wrong scope)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from backpack.models import ImportedBadge
from tests.support.learners import award
from tests.support.obapi import PREFIX, PROFILE_READ, READ, connect, register


def _minor(response) -> str:
    body = response.json()
    assert body["imsx_codeMajor"] == "failure"
    assert body["imsx_severity"] == "error"
    return body["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]


def test_discovery_describes_the_api_its_oauth_endpoints_and_scopes(client, db, settings):
    doc = client.get(f"{PREFIX}/discovery").json()
    assert doc["openapi"].startswith("3.")
    assert doc["servers"] == [{"url": settings.PUBLIC_BASE_URL + PREFIX}]
    assert {"/credentials", "/profile", "/discovery"} <= set(doc["paths"])
    assert doc["paths"]["/credentials"]["get"]["operationId"] == "getCredentials"
    assert doc["paths"]["/credentials"]["get"]["security"] == [{"OAuth2ACG": [READ]}]
    scheme = doc["components"]["securitySchemes"]["OAuth2ACG"]
    assert scheme["x-imssf-registrationUrl"] == settings.PUBLIC_BASE_URL + f"{PREFIX}/oauth/register"
    flow = scheme["flows"]["authorizationCode"]
    assert flow["tokenUrl"] == flow["refreshUrl"] == settings.PUBLIC_BASE_URL + f"{PREFIX}/oauth/token"
    assert len(flow["scopes"]) == 4
    assert READ in flow["scopes"]


def test_registration_keeps_the_secret_hashed_and_refuses_unsafe_redirects(client, db):
    app = register(client)
    stored = Application.objects.get(client_id=app["client_id"])
    assert app["client_secret"]
    assert stored.client_secret != app["client_secret"]
    assert app["client_name"] == "Northgate LMS"
    assert app["response_types"] == ["code"]
    for uri in ["http://lms.example/cb", "javascript:alert(1)", "https://lms.example/cb#frag"]:
        body = {"client_name": "X", "redirect_uris": [uri], "grant_types": ["authorization_code"]}
        refused = client.post(f"{PREFIX}/oauth/register", json.dumps(body), content_type="application/json")
        assert (refused.status_code, refused.json()["error"]) == (400, "invalid_redirect_uri"), uri
    wrong_scope = {"client_name": "X", "redirect_uris": ["https://lms.example/cb"], "scope": "admin"}
    assert client.post(f"{PREFIX}/oauth/register", json.dumps(wrong_scope),
                       content_type="application/json").status_code == 400
    assert client.post(f"{PREFIX}/oauth/register", "not json", content_type="application/json").status_code == 400


def test_the_learner_lists_our_credentials_as_issued_with_paging(client, learner, badge_a):
    *_, third = (award(badge_a) for _ in range(3))
    tokens = connect(client, learner)
    page = client.get(f"{PREFIX}/credentials", {"limit": 2}, **tokens.bearer())
    assert page.status_code == 200, page.content
    assert page["X-Total-Count"] == "3"
    assert 'rel="next"' in page["Link"]
    assert 'rel="first"' in page["Link"]
    assert 'rel="last"' in page["Link"]
    body = page.json()
    assert len(body["credential"]) == 2
    assert body["compactJwsString"] == []
    rest = client.get(f"{PREFIX}/credentials", {"limit": 2, "offset": 2}, **tokens.bearer())
    assert len(rest.json()["credential"]) == 1
    assert 'rel="next"' not in rest["Link"]
    assert 'rel="prev"' in rest["Link"]
    ids = {c["id"] for c in body["credential"] + rest.json()["credential"]}
    assert len(ids) == 3
    later = client.get(f"{PREFIX}/credentials", {"since": (timezone.now() + timedelta(days=1)).isoformat()},
                       **tokens.bearer())
    assert later["X-Total-Count"] == "0"
    assert later.json() == {"credential": [], "compactJwsString": []}
    client.force_login(learner)
    download = client.get(f"/backpack/badges/{_entry(learner, third)}/download/ob3-json/").content
    client.logout()
    listed = client.get(f"{PREFIX}/credentials", **tokens.bearer()).content
    assert download in listed  # the same bytes as the learner's download


def _entry(user, assertion):
    from backpack.models import BackpackEntry

    return BackpackEntry.objects.get(user=user, assertion=assertion).public_id


@pytest.mark.parametrize(("query", "minor"), [({"limit": "0"}, "invalid_query_parameter"),
                                              ({"offset": "-1"}, "invalid_query_parameter"),
                                              ({"limit": "many"}, "invalid_query_parameter"),
                                              ({"since": "yesterday"}, "invalid_query_parameter")])
def test_a_bad_query_is_a_400_in_the_spec_format(client, learner, query, minor):
    tokens = connect(client, learner)
    response = client.get(f"{PREFIX}/credentials", query, **tokens.bearer())
    assert response.status_code == 400
    assert _minor(response) == minor


def test_another_learners_token_never_sees_my_credentials(client, learner, other_learner, badge_a):
    award(badge_a)
    mine = connect(client, learner)
    theirs = connect(client, other_learner)
    assert client.get(f"{PREFIX}/credentials", **mine.bearer())["X-Total-Count"] == "1"
    response = client.get(f"{PREFIX}/credentials", **theirs.bearer())
    assert response["X-Total-Count"] == "0"
    assert response.json()["credential"] == []
    assert client.get(f"{PREFIX}/profile", **theirs.bearer()).json()["email"] == other_learner.email


def test_no_expired_or_revoked_token_is_accepted(client, learner, badge_a):
    award(badge_a)
    assert client.get(f"{PREFIX}/credentials").status_code == 401
    none = client.get(f"{PREFIX}/credentials", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert none.status_code == 401
    assert _minor(none) == "unauthorizedrequest"
    assert none["WWW-Authenticate"].startswith("Bearer")
    expired = connect(client, learner)
    AccessToken.objects.filter(application__client_id=expired.client_id).update(
        expires=timezone.now() - timedelta(seconds=1))
    assert client.get(f"{PREFIX}/credentials", **expired.bearer()).status_code == 401
    revoked = connect(client, learner)
    assert client.post(f"{PREFIX}/oauth/revoke", {"token": revoked.access_token, "client_id": revoked.client_id,
                                                  "client_secret": revoked.client_secret}).status_code == 200
    assert client.get(f"{PREFIX}/credentials", **revoked.bearer()).status_code == 401
    # a token in the query string is not how a token is sent
    assert client.get(f"{PREFIX}/credentials", {"access_token": revoked.access_token}).status_code == 401


def test_a_token_without_the_scope_is_refused(client, learner):
    tokens = connect(client, learner, scope=PROFILE_READ)
    response = client.get(f"{PREFIX}/credentials", **tokens.bearer())
    assert response.status_code == 403
    assert _minor(response) == "forbidden"
    assert READ in response.json()["imsx_description"]
    assert client.put(f"{PREFIX}/profile", "{}", content_type="application/json",
                      **tokens.bearer()).status_code == 403
    assert client.get(f"{PREFIX}/profile", **tokens.bearer()).status_code == 200


def test_the_profile_is_read_and_its_name_changed(client, learner):
    tokens = connect(client, learner)
    profile = client.get(f"{PREFIX}/profile", **tokens.bearer()).json()
    assert profile["type"] == "Profile"
    assert profile["email"] == learner.email
    assert profile["id"].startswith("urn:uuid:")
    assert str(learner.pk) not in profile["id"].removeprefix("urn:uuid:")
    changed = client.put(f"{PREFIX}/profile", json.dumps({**profile, "name": "Lee  Marsh"}),
                         content_type="application/json", **tokens.bearer())
    assert changed.status_code == 200
    assert changed.json()["name"] == "Lee Marsh"
    learner.refresh_from_db()
    assert learner.name == "Lee Marsh"
    other_email = client.put(f"{PREFIX}/profile", json.dumps({**profile, "email": "x@elsewhere.example"}),
                             content_type="application/json", **tokens.bearer())
    assert other_email.status_code == 400
    assert _minor(other_email) == "invalid_data"
    for bad in ["[]", "not json", json.dumps({"type": "Person"}), json.dumps({"type": "Profile", "name": 5})]:
        assert client.put(f"{PREFIX}/profile", bad, content_type="application/json",
                          **tokens.bearer()).status_code == 400, bad


def test_a_pushed_credential_is_verified_kept_and_replaced_when_pushed_again(client, holder, harbour):
    tokens = connect(client, holder)
    good = harbour.cases["good"].data
    created = client.post(f"{PREFIX}/credentials", good, content_type="application/vc+ld+json", **tokens.bearer())
    assert created.status_code == 201, created.content
    assert created.content == good
    again = client.post(f"{PREFIX}/credentials", good, content_type="application/json", **tokens.bearer())
    assert again.status_code == 200
    imported = ImportedBadge.objects.get(user=holder)
    assert bytes(imported.original) == good.strip()
    assert imported.verdict == "valid"
    listed = client.get(f"{PREFIX}/credentials", **tokens.bearer())
    assert listed["X-Total-Count"] == "1"
    assert good.strip() in listed.content
    jwt = harbour.cases["good jwt"].data.decode().strip()
    pushed = client.post(f"{PREFIX}/credentials", jwt, content_type="text/plain", **tokens.bearer())
    assert pushed.status_code in (200, 201)
    assert pushed["Content-Type"].startswith("text/plain")
    assert jwt in client.get(f"{PREFIX}/credentials", **tokens.bearer()).json()["compactJwsString"]


def test_a_credential_that_does_not_verify_or_is_someone_elses_is_refused(client, learner, holder, harbour):
    mine = connect(client, learner)  # Lee: Harbour's credentials were issued to another address
    someone_elses = client.post(f"{PREFIX}/credentials", harbour.cases["good"].data,
                                content_type="application/json", **mine.bearer())
    assert someone_elses.status_code == 400
    assert "verified email" in someone_elses.json()["imsx_description"]
    theirs = connect(client, holder)
    for body, content_type in [(b"{}", "application/json"), (b"not json", "application/json"),
                               (b"a.b.c", "text/plain"), (b"\xff\xfe", "text/plain"), (b"", "text/plain"),
                               (harbour.cases["good"].data, "image/png")]:
        response = client.post(f"{PREFIX}/credentials", body, content_type=content_type, **theirs.bearer())
        assert response.status_code in (400, 415), (body[:20], response.content)
        assert _minor(response) == "invalid_data"
    assert not ImportedBadge.objects.exists()
