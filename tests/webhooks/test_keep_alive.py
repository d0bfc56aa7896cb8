"""One kept-alive connection per claimed batch (``verification.fetch.Poster``), against a real socket server on
loopback: the deliveries share a connection, and a request on a reused connection still ends at its own
deadline; the address rules hold as for one request."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from verification.fetch import FetchError, Poster


class KeepAlive:
    """Answers ``answered`` requests 204 on whatever connection they come, then hangs on the next one."""

    def __init__(self, answered: int) -> None:
        self.answered, self.connections, self.requests = answered, 0, 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        data = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, data = data.split(b"\r\n\r\n", 1)
                length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                while len(data) < length:
                    data += conn.recv(65536)
                data = data[length:]
                self.requests += 1
                if self.requests > self.answered:
                    self.stop.wait(10)  # hangs: the sender's deadline must end it
                    return
                conn.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def server():
    made = KeepAlive(answered=3)
    yield made
    made.close()


def test_a_batch_shares_one_connection_and_each_request_keeps_its_deadline(server):
    url = f"http://127.0.0.1:{server.port}/hook"
    with Poster(url, allow_private=True, seconds=1) as poster:
        statuses = [poster.post(body=b'{"n":%d}' % n, headers={"Content-Type": "application/json"}).status
                    for n in range(3)]
        started = time.monotonic()
        with pytest.raises(FetchError) as refused:
            poster.post(body=b"{}", headers={})
        seconds = time.monotonic() - started
    assert statuses == [204, 204, 204]
    assert server.connections == 1
    assert str(refused.value) == "127.0.0.1 did not answer within 1 seconds."
    assert 0.9 <= seconds < 2.0


def test_a_loopback_endpoint_is_refused_without_the_setting(server):
    with Poster(f"http://127.0.0.1:{server.port}/hook", allow_private=False, seconds=1) as poster:
        with pytest.raises(FetchError, match="points to a loopback address"):
            poster.post(body=b"{}", headers={})
    assert server.requests == 0
