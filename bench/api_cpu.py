"""CPU of a single award through the API, in this process (issue 19): what a gunicorn worker spends on it.

The real WSGI application (``badgeplatform.wsgi``: the lean layer, every middleware, DRF, the issuing
service, the commit and its follow-up message) called directly with a WSGI environ, as gunicorn's sync
worker calls it, with the real settings and ``DEBUG=false``; no HTTP, no worker (the follow-up messages
wait in Redis, whose database is flushed first). Each award is timed with ``time.process_time``; the
PostgreSQL backend's own CPU (``/proc/<pid>/stat``) is printed beside it. ``--profile`` prints
cProfile's top functions (process time) over the measured awards.

Usage: ``DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/api_cpu.py [--awards 300] [--profile]``
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import api_awards, public_docs  # noqa: E402 - the same server set-up and seed


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def environ(path: str, key: str, body: bytes) -> dict[str, Any]:
    return {"REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1", "HTTP_AUTHORIZATION": f"Bearer {key}",
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)), "HTTP_ACCEPT": "application/json",
            "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
            "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--awards", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--wall", action="store_true", help="profile by wall-clock time, not process time")
    args = parser.parse_args()
    env = public_docs.environment(8000, Path(tempfile.mkdtemp(prefix="bench-api-cpu-")) / "var")
    env["ALLOWED_HOSTS"] = "127.0.0.1"
    public_docs.prepare(env)
    out = subprocess.run([str(public_docs.PY), "manage.py", "shell", "-c", api_awards.SEED], cwd=ROOT, env=env,
                         check=True, capture_output=True, text=True).stdout
    found = re.search(r"BADGE (\S+) KEY (\S+)", out)
    assert found is not None, out
    badge, key = found.groups()
    os.environ.update(env)

    from django.db import connection

    from badgeplatform.wsgi import application

    path = f"/api/v1/badgeclasses/{badge}/assertions/"
    status: list[str] = []

    def start_response(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        status.append(line)

    def award(n: int) -> None:
        body = json.dumps({"recipient_email": f"single{n}@example.org", "recipient_name": f"L {n}"}).encode()
        answer = application(environ(path, key, body), start_response)
        content = b"".join(answer)
        if hasattr(answer, "close"):
            answer.close()
        if not status[-1].startswith("201"):
            sys.exit(f"award {n}: {status[-1]} {content[:300]!r}")

    for n in range(20):  # warm: the URL conf, the key cache, the connection, the broker
        award(n)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    profiler = cProfile.Profile(time.perf_counter if args.wall else time.process_time) if args.profile else None
    own: list[float] = []
    b0, w0 = backend_cpu(pid), time.perf_counter()
    for n in range(20, 20 + args.awards):
        c0 = time.process_time()
        if profiler:
            profiler.enable()
        award(n)
        if profiler:
            profiler.disable()
        own.append((time.process_time() - c0) * 1000)
    wall, backend = time.perf_counter() - w0, backend_cpu(pid) - b0
    subprocess.run(["redis-cli", "-n", public_docs.REDIS_URL.rsplit("/", 1)[1], "flushdb"], check=False,
                   capture_output=True)
    print(f"{args.awards} awards in-process (load {os.getloadavg()[0]:.1f}): this process median "
          f"{statistics.median(own):.2f} ms, mean {statistics.fmean(own):.2f} ms per award; PostgreSQL backend "
          f"{backend * 1000 / args.awards:.2f} ms per award; wall {wall * 1000 / args.awards:.2f} ms per award"
          f"{' (profiled)' if profiler else ''}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(40)


if __name__ == "__main__":
    main()
