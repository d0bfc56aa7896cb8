"""A real LTI 1.3 platform for the lti tests: ``lti1p3platform`` (PyPI, not ours) signs the launches,
checks our OIDC answers, issues service tokens against our key set, checks the bearer tokens of its
Names and Role Provisioning and Assignment and Grade services, and checks our deep-linking answers. This
module only serves it over HTTP (a thread on a free port) and holds a course's data: its roster and its
results. lti1p3platform has no Dynamic Registration, so the OpenID configuration and the registration
endpoint (a page of JSON each, as the LTI Dynamic Registration spec lays them out) are written here."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request
from lti1p3platform.service_connector import AssignmentsGradesService, NamesRoleProvisioningService

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


def rsa_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


@dataclass
class Person:
    user_id: str
    name: str
    email: str
    roles: list[str]


@dataclass
class Course:
    id: str = "course-101"
    title: str = "Food Safety Level 2"
    people: list[Person] = field(default_factory=list)
    lineitems: list[dict] = field(default_factory=list)
    results: dict[str, list[dict]] = field(default_factory=dict)  # lineitem id -> AGS results


class _Req(Request):
    def build_metadata(self, request: Any) -> Any:
        return request


class _Conf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self.platform: Platform = kwargs["platform"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self.platform.registration()


class _Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class _Launch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> str:
        return (f'<form method="post" action="{launch_data["launch_url"]}">'
                f'<input type="hidden" name="id_token" value="{launch_data["id_token"]}">'
                f'<input type="hidden" name="state" value="{launch_data["state"]}"></form>')


class _Nrps(NamesRoleProvisioningService):
    def get_member_data_page(self, **kwargs: Any) -> Any:
        people = self.platform_config.platform.course.people
        return {"content": [{"user_id": p.user_id, "name": p.name, "email": p.email, "roles": p.roles,
                             "status": "Active"} for p in people], "has_next": False}

    def get_context_by_id(self) -> Context:
        course = self.platform_config.platform.course
        return Context(id=course.id, label=course.id, title=course.title)


class _Ags(AssignmentsGradesService):
    def find_lineitems(self, **kwargs: Any) -> Any:
        return {"content": self.platform_config.platform.course.lineitems, "has_next": False}

    def get_results(self, line_item_id: str, **kwargs: Any) -> Any:
        return {"content": self.platform_config.platform.course.results.get(line_item_id, []), "has_next": False}

    def find_lineitem(self, line_item_id: str) -> Any: raise NotImplementedError
    def create_lineitem(self, creation_data: Any) -> Any: raise NotImplementedError
    def update_lineitem(self, update_data: Any) -> Any: raise NotImplementedError
    def delete_lineitem(self, line_item_id: str) -> None: raise NotImplementedError
    def update_score(self, line_item_id: str, score: Any) -> Any: raise NotImplementedError


class Platform:
    """One platform (Moodle's part): ``url`` is its issuer. ``launch(...)`` is a person opening our tool
    in the course; the test's HTTP client plays their browser."""

    def __init__(self, name: str = "moodle") -> None:
        self.name = name
        self.private_key, self.public_key = rsa_pair()
        self.registration_token = uuid.uuid4().hex
        self.tool: dict[str, Any] | None = None  # what our tool registered
        self.client_id = f"client-{uuid.uuid4().hex[:8]}"
        self.deployment_id = "1"
        self.course = Course()
        self.pending: dict[str, dict[str, Any]] = {}  # lti_message_hint -> the launch to make
        self.deep_link_items: list[dict] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())  # a port the kernel picks
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> Platform:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- the platform's side of LTI, through lti1p3platform -------------------------------------------

    def registration(self) -> Registration:
        assert self.tool is not None, "the tool has not registered"
        config = self.tool["https://purl.imsglobal.org/spec/lti-tool-configuration"]
        return (Registration().set_iss(self.url).set_client_id(self.client_id)
                .set_deployment_id(self.deployment_id).set_oidc_login_url(self.tool["initiate_login_uri"])
                .set_launch_url(config["target_link_uri"]).set_deeplink_launch_url(config["target_link_uri"])
                .set_tool_key_set_url(self.tool["jwks_uri"]).set_platform_public_key(self.public_key)
                .set_platform_private_key(self.private_key))

    def conf(self) -> _Conf:
        conf = _Conf(platform=self)
        conf.get_registration()
        return conf

    def dynamic_registration_url(self, tool_registration_url: str) -> str:
        """What the admin's browser opens when they paste our URL into the platform."""
        query = urlencode({"openid_configuration": f"{self.url}/.well-known/openid-configuration",
                           "registration_token": self.registration_token})
        return f"{tool_registration_url}?{query}"

    def login_url(self, person: Person, *, deep_link: bool = False, custom: dict | None = None,
                  resource_link: str = "rl-1") -> str:
        """The start of a launch: the platform sends the browser to our OIDC login URL."""
        hint = uuid.uuid4().hex
        self.pending[hint] = {"person": person, "deep_link": deep_link, "custom": custom or {},
                              "resource_link": resource_link}
        login = _Login(None, self.conf())
        login.set_lti_message_hint(hint=hint)
        return login.prepare_preflight_url(person.user_id)

    def _auth(self, query: dict[str, str]) -> str:
        launch_spec = self.pending[query["lti_message_hint"]]
        person: Person = launch_spec["person"]
        launch = _Launch(_Req({"get_data": query, "form_data": {}, "method": "GET", "headers": {},
                               "content_type": "", "path": "/auth", "json": None}), self.conf())
        launch.set_user_data(person.user_id, person.roles, full_name=person.name, email_address=person.email)
        launch.set_launch_context_claim(self.course.id, context_title=self.course.title, context_label=self.course.id)
        launch.set_resource_link_claim(launch_spec["resource_link"], title="Badge")
        if launch_spec["custom"]:
            launch.set_custom_parameters_claim(launch_spec["custom"])
        launch.set_nrps(f"{self.url}/nrps/{self.course.id}")
        launch.set_ags(f"{self.url}/lineitems", allow_creating_lineitems=False, scores_service_enabled=False)
        if launch_spec["deep_link"]:
            launch.set_dl(f"{self.url}/deep-link-return", title="Badge", accept_types={"ltiResourceLink"})
        return launch.lti_launch()

    # --- HTTP ---------------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _request(self, body: bytes) -> _Req:
                split = urlsplit(self.path)
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()} if body else {}
                return _Req({"method": self.command, "form_data": form, "json": None, "path": split.path,
                             "get_data": {k: v[0] for k, v in parse_qs(split.query).items()},
                             "headers": dict(self.headers), "content_type": self.headers.get("Content-Type")})

            def _service(self, response: Any) -> None:
                result = response.result
                if isinstance(result, dict) and "content" in result:
                    result = result["content"]
                self._send(response.code, result if response.code < 300 else {"error": response.message},
                           response.media_type)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = urlsplit(self.path).path
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                if path == "/.well-known/openid-configuration":
                    if self.headers.get("Authorization") != f"Bearer {platform.registration_token}":
                        return self._send(401, {"error": "registration token"})
                    return self._send(200, {
                        "issuer": platform.url, "authorization_endpoint": f"{platform.url}/auth",
                        "token_endpoint": f"{platform.url}/token", "jwks_uri": f"{platform.url}/jwks",
                        "registration_endpoint": f"{platform.url}/register",
                        "scopes_supported": ["openid", *LTI_SCOPES],
                        "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                            "product_family_code": platform.name, "version": "4.5"}})
                if path == "/jwks":
                    return self._send(200, {"keys": platform.registration().get_jwks()})
                if path == "/auth":
                    return self._send(200, platform._auth(query), "text/html")
                if path.startswith("/nrps/"):
                    service = _Nrps(self._request(b""), platform.conf(), f"{platform.url}{path}")
                    return self._service(service.handle_resp(service.handle_get_members))
                if path == "/lineitems":
                    service = _Ags(self._request(b""), platform.conf(), f"{platform.url}/lineitems")
                    return self._service(service.handle_resp(service.handle_get_lineitems))
                if path.startswith("/lineitems/") and path.endswith("/results"):
                    item = f"{platform.url}{path.removesuffix('/results')}"
                    service = _Ags(self._request(b""), platform.conf(), f"{platform.url}/lineitems", item)
                    return self._service(service.handle_resp(service.handle_get_results, line_item_id=item))
                return self._send(404, {"error": "not found"})

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = urlsplit(self.path).path
                if path == "/register":
                    if self.headers.get("Authorization") != f"Bearer {platform.registration_token}":
                        return self._send(401, {"error": "registration token"})
                    platform.tool = json.loads(body)
                    return self._send(200, {**platform.tool, "client_id": platform.client_id,
                                            "https://purl.imsglobal.org/spec/lti-tool-configuration": {
                                                **platform.tool["https://purl.imsglobal.org/spec/lti-tool-configuration"],
                                                "deployment_id": platform.deployment_id}})
                if path == "/token":
                    form = self._request(body).form_data
                    try:
                        return self._send(200, platform.conf().get_access_token(form))
                    except Exception as exc:  # noqa: BLE001 - the platform refuses; the tool sees a 400
                        return self._send(400, {"error": str(exc)})
                if path == "/deep-link-return":
                    form = self._request(body).form_data
                    platform.deep_link_items = platform.conf().validate_deeplinking_resp(form)
                    return self._send(200, "<p>Saved</p>", "text/html")
                return self._send(404, {"error": "not found"})

        return Handler


LTI_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
]


def form_of(html: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the first form of an auto-submitting page (what a browser posts)."""
    from html.parser import HTMLParser

    found: dict[str, Any] = {"action": None, "fields": {}}

    class _Parser(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values = dict(attrs)
            if tag == "form" and found["action"] is None:
                found["action"] = values.get("action")
            if tag == "input" and values.get("type") == "hidden" and values.get("name"):
                found["fields"][values["name"]] = values.get("value") or ""

    _Parser().feed(html)
    assert found["action"], "no form on the page"
    return found["action"], found["fields"]


def open_launch(browser: Any, platform: Platform, person: Person, **kwargs: Any) -> tuple[Any, dict[str, str]]:
    """A person opens the tool from the course: OIDC login at our tool, the platform's signed launch, posted
    back to our tool. Returns our answer and the launch form that was posted (to replay it)."""
    auth_page = browser.get(platform.login_url(person, **kwargs), timeout=30)
    assert auth_page.status_code == 200, auth_page.text[:500]
    action, fields = form_of(auth_page.text)
    return browser.post(action, data=fields, timeout=60), fields


TEACHER = Person("t-1", "Tess Teacher", "tess@college.example", [INSTRUCTOR])
AMY = Person("l-1", "Amy Able", "amy@learners.example", [LEARNER])
BEN = Person("l-2", "Ben Close", "ben@learners.example", [LEARNER])
CAI = Person("l-3", "Cai Later", "cai@learners.example", [LEARNER])


def register(platform: Platform, tenant: Any) -> Any:
    """The admin pastes the college's registration URL into the platform, which opens it."""
    import requests

    from lti.services import registration_url

    answer = requests.get(platform.dynamic_registration_url(registration_url(tenant=tenant)), timeout=60)
    assert answer.status_code == 200, answer.text[:1000]
    return answer


def course_with_quiz(platform: Platform) -> str:
    """A course of a teacher and three learners, and a graded quiz: Amy 90%, Ben 65%, Cai no result yet."""
    quiz = f"{platform.url}/lineitems/quiz"
    platform.course.people = [TEACHER, AMY, BEN, CAI]
    platform.course.lineitems = [{"id": quiz, "label": "Final quiz", "scoreMaximum": 100},
                                 {"id": f"{platform.url}/lineitems/essay", "label": "Essay", "scoreMaximum": 20}]
    platform.course.results = {quiz: [
        {"id": f"{quiz}/results/l-1", "userId": "l-1", "resultScore": 45, "resultMaximum": 50, "scoreOf": quiz},
        {"id": f"{quiz}/results/l-2", "userId": "l-2", "resultScore": 65, "resultMaximum": 100, "scoreOf": quiz}]}
    return quiz


def place_badge(browser: Any, platform: Platform, badge_id: str, lineitem: str, *, rule: str = "score",
                min_score: str = "70", **new: str) -> Any:
    """The teacher opens the badge picker from the course (deep linking), chooses, and the answer goes
    back to the platform. Returns the page our tool answered the choice with."""
    picker, _ = open_launch(browser, platform, TEACHER, deep_link=True)
    assert picker.status_code == 200, picker.text[:1000]
    _, fields = form_of(picker.text)
    chosen = browser.post(picker.url.replace("/lti/launch/", "/lti/deep-link/"), timeout=60, data={
        "launch_id": fields["launch_id"], "badge": badge_id, "lineitem": lineitem, "rule": rule,
        "min_score": min_score, **new})
    if "deep-link-return" in chosen.text:
        action, answer = form_of(chosen.text)
        assert browser.post(action, data=answer, timeout=30).status_code == 200
    return chosen
