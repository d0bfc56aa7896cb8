"""Real things for the pipeline tests: an SMTP sink (aiosmtpd), a Celery worker process, a private
redis-server. No mocks: the worker reads the test database the test wrote, over the same broker."""

from __future__ import annotations

import asyncio
import contextlib
import email
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
_ASSERTION_HEADER = re.compile(rb"^X-Badge-Assertion: *([0-9a-f-]{36})\r?$", re.MULTILINE | re.IGNORECASE)


def free_port() -> int:
    """aiosmtpd and redis-server cannot be told to pick a port: bind to port 0 to find a free one."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], Any], *, timeout: float, message: str, interval: float = 0.1,
             alive: Callable[[], None] | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        if alive is not None:
            alive()
        time.sleep(interval)
    raise AssertionError(message)


class SmtpSink:
    """A local SMTP server that keeps every message it accepts. ``delay`` slows each message (so a kill
    lands mid-batch); ``reply`` (e.g. "550 5.1.1 No such mailbox") refuses every message with it.
    It can be stopped and started again on the same port, to play a mail server that is down."""

    def __init__(self, *, delay: float = 0.0, reply: str | None = None, port: int | None = None) -> None:
        self.delay, self.reply = delay, reply
        self.port = port or free_port()
        self.raw: list[bytes] = []  # as received; parsed only when a test looks (parsing costs ~1 ms each)
        self.peers: set[Any] = set()  # the client end of each connection a message came over
        self._parsed: list[EmailMessage] = []
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.reply:
            return self.reply
        self.raw.append(envelope.content)
        self.peers.add(session.peer)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        received = len(self.raw)
        self._parsed += [email.message_from_bytes(raw, policy=default_policy)
                         for raw in self.raw[len(self._parsed):received]]
        return self._parsed

    name = "aiosmtpd"

    def start(self) -> SmtpSink:
        # aiosmtpd runs inspect.getmembers() on its handler for every new connection, which would evaluate
        # ``messages`` (parsing everything received so far): hand it an object with the hook alone.
        self._controller = Controller(_Hook(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def assertion_ids(self) -> Counter[str]:
        """How many times each assertion's email arrived (by its X-Badge-Assertion header)."""
        found = (_ASSERTION_HEADER.search(raw) for raw in list(self.raw))
        return Counter(match.group(1).decode() for match in found if match)

    def settings_for(self, settings: Any) -> None:
        """Point Django's SMTP backend in this process at the sink (pytest-django ``settings`` fixture)."""
        settings.EMAIL_BACKEND = "badgeplatform.mail.SMTPBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", self.port
        settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = False, False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5


class _Hook:
    def __init__(self, sink: SmtpSink) -> None:
        self.handle_DATA = sink.handle_DATA  # noqa: N815 - aiosmtpd's hook name


class LeanSmtpSink:
    """A small SMTP server of our own (an asyncio protocol in a thread of this process), with the interface of
    ``SmtpSink``: EHLO offering ``PIPELINING`` (RFC 2920; ``pipelining=False`` leaves it out), 8BITMIME,
    SMTPUTF8 and SIZE; MAIL, RCPT, DATA (dot-unstuffed), RSET, NOOP, HELO and QUIT, each in its place in the
    transaction. It keeps each message's bytes and parses nothing until asked, so it costs far less CPU per
    message than aiosmtpd (which the benchmarks ran beside the worker, on the same two cores). It answers a
    pipelined group's replies in one write, as a real server may, and, as Exim does, refuses a client that
    writes ahead where it may not (a command after one that must end a group, or any when it offered no
    pipelining) with "554 SMTP synchronization error": a client that pipelines wrongly fails here.
    ``refuse`` maps an address to the reply its MAIL or RCPT gets (e.g. "550 5.1.1 No such mailbox")."""

    SIZE = 33554432

    def __init__(self, *, delay: float = 0.0, reply: str | None = None, port: int | None = None,
                 pipelining: bool = True, refuse: dict[str, str] | None = None) -> None:
        self.delay, self.reply, self.pipelining = delay, reply, pipelining
        self.refuse = dict(refuse or {})
        self.port = port or free_port()
        self.raw: list[bytes] = []
        self.peers: set[Any] = set()
        self.envelopes: list[tuple[str, list[str]]] = []  # (MAIL FROM, the accepted RCPT TO) of each message
        self.refused_groups = 0  # synchronization errors: clients that wrote ahead where they may not
        self._parsed: list[EmailMessage] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: Any = None
        self._sessions: set[_LeanSession] = set()

    messages = SmtpSink.messages
    assertion_ids = SmtpSink.assertion_ids
    settings_for = SmtpSink.settings_for

    @property
    def name(self) -> str:
        return "lean (PIPELINING)" if self.pipelining else "lean (no PIPELINING)"

    def start(self) -> LeanSmtpSink:
        import threading

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"smtp-sink-{self.port}", daemon=True)
        self._thread.start()
        create = self._loop.create_server(lambda: _LeanSession(self), "127.0.0.1", self.port, reuse_address=True)
        self._server = asyncio.run_coroutine_threadsafe(create, self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        """Stop listening and drop every open connection, as a mail server that goes down."""
        loop = self._loop
        if loop is None:
            return

        async def close() -> None:
            assert self._server is not None
            self._server.close()
            for session in list(self._sessions):
                session.transport.abort()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout=10)
        loop.close()
        self._loop = self._server = None


# Commands that must end a pipelined group (RFC 2920, 3.1): the client waits for their reply before writing on.
_LAST_IN_GROUP = {b"EHLO", b"HELO", b"DATA", b"QUIT", b"NOOP", b"VRFY", b"EXPN", b"TURN", b"STARTTLS", b"AUTH"}


class _LeanSession(asyncio.Protocol):
    """One connection of ``LeanSmtpSink``: the input is buffered and read a line at a time (a message's data
    up to its lone dot); the replies to everything that arrived are written together."""

    def __init__(self, sink: LeanSmtpSink) -> None:
        self.sink = sink
        self.buffer = bytearray()
        self.searched = 0  # how far the data's end was already looked for, so a long message is scanned once
        self.in_data = self.waiting = self.closing = False
        self.sender: str | None = None
        self.recipients: list[str] = []
        self.out: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.peer = transport.get_extra_info("peername")
        self.sink._sessions.add(self)
        transport.write(b"220 sink.example ESMTP\r\n")

    def connection_lost(self, exc: Exception | None) -> None:
        self.sink._sessions.discard(self)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._work()

    def _work(self) -> None:
        while not self.waiting and not self.closing:
            if not (self._data() if self.in_data else self._command()):
                break
        self._flush()

    def _flush(self) -> None:
        if self.out:
            self.transport.write(b"".join(self.out))
            self.out = []
        if self.closing:
            self.transport.close()

    def _ahead(self) -> bool:
        """The client wrote more after something it had to wait on: refuse it, as a real server does."""
        if not self.buffer:
            return False
        self.sink.refused_groups += 1
        self.out.append(b"554 5.5.0 SMTP synchronization error\r\n")
        self.closing = True
        return True

    def _data(self) -> bool:
        if self.buffer.startswith(b".\r\n"):
            end, content = 3, b""
        else:
            found = self.buffer.find(b"\r\n.\r\n", max(0, self.searched - 4))
            if found < 0:
                self.searched = len(self.buffer)
                return False
            end, content = found + 5, bytes(self.buffer[:found + 2])
        del self.buffer[:end]
        self.searched, self.in_data = 0, False
        if content.startswith(b".."):
            content = content[1:]
        content = content.replace(b"\r\n..", b"\r\n.")
        if not self.sink.pipelining and self._ahead():
            return False
        if self.sink.delay:  # answer later; what the client wrote meanwhile waits in the buffer
            self.waiting = True
            self._flush()
            assert self.sink._loop is not None
            self.sink._loop.call_later(self.sink.delay, self._delivered, content)
            return False
        self._deliver(content)
        return True

    def _delivered(self, content: bytes) -> None:
        self.waiting = False
        self._deliver(content)  # as aiosmtpd's sink does: the whole message came, whether or not the client waits
        if self.transport.is_closing():
            self.out = []
        else:
            self._work()

    def _deliver(self, content: bytes) -> None:
        if self.sink.reply:
            self.out.append(self.sink.reply.encode() + b"\r\n")
        else:
            self.sink.raw.append(content)
            self.sink.peers.add(self.peer)
            self.sink.envelopes.append((self.sender or "", list(self.recipients)))
            self.out.append(b"250 2.0.0 Message accepted for delivery\r\n")
        self.sender, self.recipients = None, []

    def _command(self) -> bool:
        found = self.buffer.find(b"\r\n")
        if found < 0:
            if len(self.buffer) > 4096:
                self.out.append(b"500 5.5.2 Line too long\r\n")
                self.closing = True
            return False
        line = bytes(self.buffer[:found])
        del self.buffer[:found + 2]
        verb, _, argument = line.partition(b" ")
        verb = verb.upper()
        self.out.append(self._answer(verb, argument.decode("utf-8", "replace")))
        if verb in _LAST_IN_GROUP or not self.sink.pipelining:
            self._ahead()
        return True

    def _answer(self, verb: bytes, argument: str) -> bytes:
        if verb == b"EHLO":
            self.sender, self.recipients = None, []
            offered = ["8BITMIME", "SMTPUTF8", f"SIZE {self.sink.SIZE}"]
            if self.sink.pipelining:
                offered.append("PIPELINING")
            return "".join(f"250-{each}\r\n" for each in ["sink.example", *offered]).encode() + b"250 HELP\r\n"
        if verb == b"HELO":
            self.sender, self.recipients = None, []
            return b"250 sink.example\r\n"
        if verb == b"MAIL":
            if self.sender is not None:
                return b"503 5.5.1 Error: nested MAIL command\r\n"
            if not argument.upper().startswith("FROM:"):
                return b"501 5.5.4 Syntax: MAIL FROM:<address>\r\n"
            address = _address(argument[5:])
            if address in self.sink.refuse:
                return self.sink.refuse[address].encode() + b"\r\n"
            self.sender = address
            return b"250 2.1.0 OK\r\n"
        if verb == b"RCPT":
            if self.sender is None:
                return b"503 5.5.1 Error: need MAIL command\r\n"
            if not argument.upper().startswith("TO:"):
                return b"501 5.5.4 Syntax: RCPT TO:<address>\r\n"
            address = _address(argument[3:])
            if address in self.sink.refuse:
                return self.sink.refuse[address].encode() + b"\r\n"
            self.recipients.append(address)
            return b"250 2.1.5 OK\r\n"
        if verb == b"DATA":
            if not self.recipients:  # RFC 2920: no recipient accepted, so DATA fails
                return b"554 5.5.1 Error: no valid recipients\r\n" if self.sender else b"503 5.5.1 Error: need RCPT\r\n"
            self.in_data = True
            return b"354 End data with <CR><LF>.<CR><LF>\r\n"
        if verb == b"RSET":
            self.sender, self.recipients = None, []
            return b"250 2.0.0 OK\r\n"
        if verb == b"NOOP":
            return b"250 2.0.0 OK\r\n"
        if verb == b"QUIT":
            self.closing = True
            return b"221 2.0.0 Bye\r\n"
        return b"502 5.5.2 Error: command not recognized\r\n"


def _address(argument: str) -> str:
    """The address of ``MAIL FROM:`` / ``RCPT TO:``'s argument, without its brackets and ESMTP parameters."""
    argument = argument.strip()
    if argument.startswith("<"):
        return argument[1:argument.find(">")] if ">" in argument else argument[1:]
    return argument.split(" ", 1)[0]


def database_url() -> str:
    """The test database, for a worker process to read what the test wrote."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def broker_purge() -> None:
    """Drop messages earlier tests left on the broker: they name rows of a flushed database."""
    from badgeplatform.celery import app

    with app.connection_for_write() as conn:
        for queue in app.conf.task_queues:
            conn.default_channel.queue_purge(queue.name)


class Worker:
    """``celery worker`` as a subprocess: prefork with one pool process by default, so the test can SIGKILL
    the pool process (the one running the task) as well as the main one."""

    def __init__(self, *, log_dir: Path, smtp_port: int | None = None, env: dict[str, str] | None = None,
                 pool: str = "prefork", concurrency: int = 1) -> None:
        self.log_path = log_dir / f"worker-{uuid.uuid4().hex[:8]}.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            **({"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port), "EMAIL_USE_TLS": "false",
                "EMAIL_TIMEOUT": "5"} if smtp_port else {}),
            **(env or {}),
        }
        self.env.pop("PYTEST_CURRENT_TEST", None)
        self.pool, self.concurrency = pool, concurrency
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "badgeplatform", "worker", f"--pool={self.pool}",
             f"--concurrency={self.concurrency}", "--loglevel=INFO", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-n", f"test-{uuid.uuid4().hex[:8]}@%h"],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def assert_alive(self) -> None:
        assert self.proc is not None, "the worker was not started"
        assert self.proc.poll() is None, f"the worker died:\n{self.log()}"

    def children(self) -> list[int]:
        """The pool processes: the children of the main worker process, from /proc."""
        assert self.proc is not None
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except FileNotFoundError:
            return []
        return [int(pid) for pid in text.split()]

    def kill_pool_process(self) -> int:
        """SIGKILL the pool process running the task: no cleanup, no acknowledgement, no goodbye."""
        (child,) = wait_for(self.children, timeout=10, message="the worker has no pool process")[:1]
        os.kill(child, signal.SIGKILL)
        return child

    def kill(self) -> None:
        """SIGKILL the main process and its pool processes, as a power cut would."""
        if self.proc is None or self.proc.poll() is not None:
            return
        children = self.children()
        self.proc.kill()
        for child in children:
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Tests need no warm shutdown (it waits for the broker's poll): kill, and close the log."""
        self.kill()
        if hasattr(self, "_log"):
            self._log.close()


class RedisServer:
    """A private redis-server on a spare port, to stop and start again: never the shared one."""

    def __init__(self, log_dir: Path, *, options: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.options = options  # more redis-server arguments, e.g. ("--rename-command", "CLIENT", "")
        self.log_path = log_dir / f"redis-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", *self.options],
            stdout=self._log, stderr=subprocess.STDOUT,
        )
        wait_for(self._answers, timeout=10, message=f"redis-server did not start on port {self.port}")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        if hasattr(self, "_log"):
            self._log.close()


class WebServer:
    """gunicorn serving the project as production does, against the test database and broker. Its master
    process restarts a worker that dies, so a test can kill the worker mid-request and retry."""

    def __init__(self, *, log_dir: Path, env: dict[str, str] | None = None, workers: int = 1) -> None:
        self.port = free_port()
        self.workers = workers
        self.log_path = log_dir / f"web-{self.port}.log"
        self.env = {**os.environ, "DATABASE_URL": database_url(), "CELERY_TASK_ALWAYS_EAGER": "false", **(env or {})}
        self.env.pop("PYTEST_CURRENT_TEST", None)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WebServer:
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "badgeplatform.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--timeout", "60", "--graceful-timeout", "1"],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_for(self._answers, timeout=30, alive=self.assert_alive, message=f"gunicorn did not start:\n{self.log()}")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def assert_alive(self) -> None:
        assert self.proc is not None, "gunicorn was not started"
        assert self.proc.poll() is None, f"gunicorn died:\n{self.log()}"

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """One POST on a new connection: (status, headers, body). Raises OSError (or http.client's
        RemoteDisconnected, an OSError too) when the process serving it dies."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("POST", path, body=body, headers={"Content-Type": "application/json", **headers})
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """One GET on a new connection: (status, headers, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    def stop(self) -> None:
        """SIGKILL the master and its worker (their own process group)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        if hasattr(self, "_log"):
            self._log.close()


class ObjectStore:
    """moto's S3 server as a subprocess on a spare port: a real S3 API over HTTP, for the object-storage
    tests (boto3 and django-storages talk to it exactly as to AWS or MinIO)."""

    bucket = "badge-files"
    access_key, secret_key = "test-access-key", "test-secret-key"

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.log_path = log_dir / f"s3-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """What a web or worker process needs to keep its files here."""
        return {"FILE_STORAGE": "s3", "S3_BUCKET": self.bucket, "S3_ENDPOINT_URL": self.endpoint,
                "S3_REGION": "eu-west-2", "S3_ACCESS_KEY_ID": self.access_key, "S3_SECRET_ACCESS_KEY": self.secret_key}

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="eu-west-2",
                            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key)

    def start(self) -> ObjectStore:
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=self._log, stderr=subprocess.STDOUT)
        wait_for(self._answers, timeout=30, message=f"moto's S3 server did not start:\n{self.log()}")
        self.client().create_bucket(Bucket=self.bucket,
                                    CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def keys(self) -> list[str]:
        listing = self.client().list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client().get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        if hasattr(self, "_log"):
            self._log.close()


@contextlib.contextmanager
def private_broker(log_dir: Path) -> Iterator[RedisServer]:
    """A private redis-server as this process's Celery broker for the block (never the shared one, whose
    queues other test runs use)."""
    from badgeplatform.celery import app

    redis = RedisServer(log_dir).start()
    saved = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url, app.conf.broker_transport_options = redis.url, {"visibility_timeout": 3600}
    app._pool, app.amqp._producer_pool = None, None  # producers connect to the broker configured now
    try:
        yield redis
    finally:
        app.conf.broker_url, app.conf.broker_transport_options = saved
        app._pool, app.amqp._producer_pool = None, None
        redis.stop()
