"""A real SAML 2.0 identity provider for the single sign-on tests: pysaml2's IdP (``saml2.server.Server``: it
parses our AuthnRequest, checks it against our metadata, and writes and signs the response with xmlsec1),
served over HTTP in a thread. Only the page around it is ours: which person signs in is the test's choice."""

from __future__ import annotations

import base64
import datetime
import html
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import werkzeug.serving
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256


def _key_pair(folder: Path) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test college IdP")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    key_file, cert_file = folder / "idp.key", folder / "idp.crt"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_file), str(cert_file)


class SamlIdp:
    """``person`` is who signs in at the next request: (email, attributes). ``last`` keeps the last response
    sent (its ACS URL, RelayState and SAMLResponse), for replaying or tampering with it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.key_file, self.cert_file = _key_pair(folder)
        self.base = ""
        self.sp_metadata: list[str] = []
        self.person: tuple[str, dict[str, list[str]]] = ("", {})
        self.last: dict[str, str] = {}

    def config(self) -> IdPConfig:
        conf: dict[str, Any] = {
            "entityid": f"{self.base}/metadata",
            "service": {"idp": {
                "endpoints": {"single_sign_on_service": [(f"{self.base}/sso", BINDING_HTTP_REDIRECT)]},
                "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                "want_authn_requests_signed": False,
                "sign_response": True, "sign_assertion": True,
                "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None,
                                       "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"}},
            }},
            "key_file": self.key_file, "cert_file": self.cert_file, "xmlsec_binary": "/usr/bin/xmlsec1",
            "allow_unknown_attributes": True,
            "metadata": {"inline": self.sp_metadata} if self.sp_metadata else {},
        }
        config = IdPConfig()
        config.load(conf)
        return config

    def metadata(self) -> str:
        return create_metadata_string(None, config=self.config(), valid=24).decode()

    def trust(self, sp_metadata_xml: str) -> None:
        """Know our service provider (its metadata, as our site serves it)."""
        self.sp_metadata = [sp_metadata_xml]

    def _sso(self, query: dict[str, list[str]]) -> str:
        server = Server(config=self.config())
        request = server.parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT).message
        email, attributes = self.person
        response = server.create_authn_response(
            identity={"mail": [email], **attributes}, in_response_to=request.id,
            destination=request.assertion_consumer_service_url, sp_entity_id=request.issuer.text,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password", "authn_auth": self.base},
            sign_response=True, sign_assertion=True, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)
        self.last = {"acs": request.assertion_consumer_service_url, "relay": query.get("RelayState", [""])[0],
                     "response": base64.b64encode(str(response).encode()).decode()}
        return self._form(self.last)

    @staticmethod
    def _form(sent: dict[str, str]) -> str:
        return (f'<!doctype html><html lang="en"><title>Test IdP</title><form method="post" '
                f'action="{html.escape(sent["acs"])}"><input type="hidden" name="SAMLResponse" '
                f'value="{html.escape(sent["response"])}"><input type="hidden" name="RelayState" '
                f'value="{html.escape(sent["relay"])}"><button type="submit">Continue</button></form></html>')

    def tampered(self, old: str, new: str) -> dict[str, str]:
        xml = base64.b64decode(self.last["response"]).decode().replace(old, new)
        return {**self.last, "response": base64.b64encode(xml.encode()).decode()}

    def __call__(self, environ: dict, start_response: Any) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if path == "/metadata":
            body, kind = self.metadata(), "application/samlmetadata+xml"
        elif path == "/sso":
            body, kind = self._sso(query), "text/html"
        elif path == "/again":  # the last response once more (a replay), or as ``tamper`` made it
            body, kind = self._form(self.pending or self.last), "text/html"
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not here"]
        start_response("200 OK", [("Content-Type", kind)])
        return [body.encode()]

    pending: dict[str, str] | None = None


@contextmanager
def saml_idp() -> Iterator[SamlIdp]:
    with tempfile.TemporaryDirectory() as folder:
        idp = SamlIdp(Path(folder))
        server = werkzeug.serving.make_server("localhost", 0, idp, threaded=True)
        idp.base = f"http://localhost:{server.server_port}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield idp
        finally:
            server.shutdown()
            thread.join(5)


__all__ = ["BINDING_HTTP_POST", "SamlIdp", "saml_idp"]
