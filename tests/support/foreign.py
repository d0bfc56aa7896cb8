"""A foreign Open Badges 2.0 issuer for tests: a threaded HTTP server on loopback serving its issuer
profile, key, badge class, revocation list and assertions, signed with a freshly generated key."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CONTEXT = "https://w3id.org/openbadges/v2"
# A 1x1 PNG: the reference validator fetches badge images.
_PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
                        "AAAABJRU5ErkJggg==")


def fresh_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(payload: dict[str, Any], key: rsa.RSAPrivateKey) -> str:
    head = b64url(json.dumps({"alg": "RS256"}).encode())
    body = b64url(json.dumps(payload).encode())
    signature = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{b64url(signature)}"


class Server:
    """Serves ``routes[path] = (status, headers, body)``, each after ``delays[path]`` seconds if set;
    records the Host header of each request."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.delays: dict[str, float] = {}
        self.hosts: list[str] = []
        routes, hosts, delays = self.routes, self.hosts, self.delays

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                hosts.append(self.headers.get("Host", ""))
                time.sleep(delays.get(self.path, 0))
                status, headers, body = routes.get(self.path, (404, {}, b"not found"))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if headers.get("Transfer-Encoding") == "chunked":
                    for start in range(0, len(body), 65536):
                        part = body[start:start + 65536]
                        self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def json(self, path: str, doc: dict[str, Any], status: int = 200) -> str:
        self.routes[path] = (status, {"Content-Type": "application/ld+json"}, json.dumps(doc).encode())
        return self.url(path)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Trickler:
    """A real socket server that answers one byte a second, as a hostile server holding a verifier
    would: ``mode`` "headers" trickles the status line and headers, "body" sends the headers at once
    and trickles the body, "silent" accepts and says nothing, "tls" trickles what looks like the start
    of a TLS handshake. It sends at most ``limit`` bytes, so a test without a deadline ends too."""

    def __init__(self, mode: str, *, interval: float = 1.0, limit: int = 40) -> None:
        self.mode, self.interval, self.limit = mode, interval, limit
        self.accepted = 0
        self.stopped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path: str = "/assertion", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _payload(self) -> tuple[bytes, bytes]:
        """(sent at once, then trickled)"""
        if self.mode == "headers":
            return b"", b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + b"a" * 10_000
        if self.mode == "body":
            return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n",
                    b'{"padding": "' + b"a" * 10_000)
        if self.mode == "tls":
            return b"", b"\x16\x03\x03\x40\x00" + b"\x02" * 10_000  # a handshake record that never ends
        return b"", b""

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(self.interval * self.limit)
                if self.mode != "tls":
                    conn.recv(65536)  # the request
                at_once, trickled = self._payload()
                conn.sendall(at_once)
                for n in range(self.limit):
                    if self.stopped.wait(self.interval):
                        return
                    if trickled:
                        conn.sendall(trickled[n:n + 1])
            except OSError:
                return  # the client gave up: what the tests want

    def close(self) -> None:
        self.stopped.set()
        self.listener.close()


def hashed(email: str, salt: str = "pepper") -> dict[str, Any]:
    digest = hashlib.sha256((email.lower() + salt).encode()).hexdigest()
    return {"type": "email", "hashed": True, "salt": salt, "identity": f"sha256${digest}"}


class ForeignIssuer:
    """Issuer, key, badge class and revocation list of another badge platform, on ``server``."""

    def __init__(self, server: Server, *, name: str = "Northgate Training", key: rsa.RSAPrivateKey | None = None,
                 prefix: str = "") -> None:
        self.server = server
        self.prefix = prefix
        self.key = key or fresh_key()
        self.issuer_url = server.url(f"{prefix}/issuer")
        self.key_url = server.url(f"{prefix}/key")
        self.badge_url = server.url(f"{prefix}/badge")
        self.revocations: list[dict[str, str]] = []
        pem = self.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        server.json(f"{prefix}/issuer", {"@context": CONTEXT, "type": "Issuer", "id": self.issuer_url, "name": name,
                                          "url": "https://northgate.example", "email": "badges@northgate.example",
                                          "publicKey": self.key_url,
                                          "revocationList": server.url(f"{prefix}/revocations")})
        server.json(f"{prefix}/key", {"@context": CONTEXT, "type": "CryptographicKey", "id": self.key_url,
                                       "owner": self.issuer_url, "publicKeyPem": pem})
        server.json(f"{prefix}/badge", {"@context": CONTEXT, "type": "BadgeClass", "id": self.badge_url,
                                         "name": "Forklift Safety", "description": "Operates a forklift safely.",
                                         "image": server.url(f"{prefix}/badge.png"),
                                         "criteria": {"narrative": "Passes the practical test."},
                                         "issuer": self.issuer_url})
        server.routes[f"{prefix}/badge.png"] = (200, {"Content-Type": "image/png"}, _PNG)
        self.publish_revocations()

    def publish_revocations(self) -> None:
        self.server.json(f"{self.prefix}/revocations", {
            "@context": CONTEXT, "type": "RevocationList", "id": self.server.url(f"{self.prefix}/revocations"),
            "issuer": self.issuer_url, "revokedAssertions": self.revocations})

    def assertion(self, slug: str, *, recipient: str = "learner@example.org", signed: bool = False,
                  expires: datetime | None = None, badge_url: str | None = None) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "@context": CONTEXT, "type": "Assertion", "id": self.server.url(f"{self.prefix}/assertions/{slug}"),
            "recipient": hashed(recipient), "badge": badge_url or self.badge_url,
            "issuedOn": "2026-01-15T10:00:00Z",
            "verification": {"type": "SignedBadge", "creator": self.key_url} if signed else {"type": "HostedBadge"},
        }
        if expires is not None:
            doc["expires"] = expires.isoformat().replace("+00:00", "Z")
        self.server.json(f"{self.prefix}/assertions/{slug}", doc)
        return doc

    def revoke(self, assertion: dict[str, Any], reason: str) -> None:
        self.revocations.append({"id": assertion["id"], "revocationReason": reason})
        self.publish_revocations()
