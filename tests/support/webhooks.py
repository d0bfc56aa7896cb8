"""A college's system receiving our webhooks: a real HTTP server in a thread that checks every delivery
with the ``standardwebhooks`` library (PyPI), the specification's own, which we did not write."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass
class Received:
    webhook_id: str
    headers: dict[str, str]
    body: bytes
    payload: Any = None  # what standardwebhooks returned once the signature checked out
    refused: str = ""  # why standardwebhooks refused it


@dataclass
class Receiver:
    """Verifies with ``secret`` (set it once the endpoint exists); answers ``status`` to verified deliveries
    (401 to the others). ``stop()`` then ``start()`` again on the same port: the MIS was down a while."""

    secret: str = ""
    status: int = 204
    port: int = 0  # 0: the first start() binds a port the kernel picks (no window for another process to take it)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/badges/webhook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps the connection open between deliveries, as an MIS's server does
            def do_POST(self) -> None:  # noqa: N802 - http.server's hook
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                got = Received(headers.get("webhook-id", ""), headers, body)
                try:
                    got.payload = Webhook(receiver.secret).verify(body, headers)
                except WebhookVerificationError as exc:
                    got.refused = str(exc) or "refused"
                with receiver._lock:
                    receiver.received.append(got)
                self.send_response(receiver.status if not got.refused else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def verified(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if not r.refused]

    def refused(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.refused]

    def ids(self) -> Counter[str]:
        """How many verified deliveries arrived with each ``webhook-id``."""
        return Counter(r.webhook_id for r in self.verified())

    def of_type(self, event_type: str) -> list[Any]:
        return [r.payload for r in self.verified() if r.payload.get("type") == event_type]
