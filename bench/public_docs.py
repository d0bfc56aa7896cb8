"""Benchmark the public documents and the HTML page against a minimal WSGI app, a minimal Django view and nginx.

Starts gunicorn (2 sync workers) on loopback with the app on PostgreSQL + Redis, seeds one badge
award, and measures requests per second and p99 latency with wrk (32 connections) for:

* the public documents the lean path serves (``verification.lean``): the assertion JSON
  (``Accept: application/ld+json``), the same answered 304 for its ETag, the baked image (PNG and SVG),
  the badge class and issuer JSON, the revocation list, the OB 3.0 credential, its VC-JWT, its baked
  image (PNG and SVG), its status list and revocation list, and the issuer's and an endorser's DID
  documents; goal >= 3,800 req/s each;
* a bare WSGI function returning constant JSON in front of everything (gunicorn's own floor), and a
  minimal Django view returning constant JSON through the whole middleware stack, on the same server;
* nginx serving the same JSON bytes as a static file (when nginx is installed);

and the median of 20 sequential requests for the employer's HTML page (the public assertion page,
a browser's ``Accept``; goal < 15 ms).

Usage: ``.venv/bin/python bench/public_docs.py [--duration 10]``. Needs PostgreSQL and Redis on
127.0.0.1 (a database ``bench`` is created if absent; Redis database 14 is flushed) and wrk.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
# DATABASE_URL and REDIS_URL, when set, name another database and Redis database (engineers sharing a machine).
DATABASE_URL = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/bench"
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"
DATABASE_NAME = DATABASE_URL.rsplit("/", 1)[1]
GOAL_RPS = 3800  # every public document (issue 19)
GOAL_PAGE_MS = 15  # the employer's HTML page, median
CONNECTIONS = 32
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

SEED = """
from django.utils import timezone
from assertions.services import Recipient, assertion_issue
from badges.models import BadgeClass
from django.core.files.base import ContentFile
from issuers.scoping import tenant_scope
from issuers.services import issuer_create, tenant_create
import io
from PIL import Image
import time
tag = str(int(time.time()))
tenant = tenant_create(slug=f"bench-{tag}", name="Bench College", admin_email=f"admin-{tag}@bench.example",
                       admin_password="bench-password-123").tenant
with tenant_scope(tenant):
    issuer = issuer_create(tenant=tenant, name="Bench College", url="https://bench.example",
                           email="badges@bench.example")
    out = io.BytesIO(); Image.new("RGB", (128, 128), (29, 78, 216)).save(out, "PNG")
    badge = BadgeClass(tenant=tenant, issuer=issuer, name="Bench Badge", description="Measured.",
                       criteria_narrative="Answer many requests.")
    badge.image.save("bench.png", ContentFile(out.getvalue()), save=False)
    badge.save()
    (a,) = assertion_issue(badge_class=badge, recipients=[Recipient(identity="learner@bench.example")])
    svg = BadgeClass(tenant=tenant, issuer=issuer, name="Bench Badge (SVG)", description="Measured.",
                     criteria_narrative="Answer many requests.", image_type="svg")
    svg.image.save("bench.svg", ContentFile(b'<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" '
                                            b'viewBox="0 0 128 128"><circle cx="64" cy="64" r="60" fill="#1d4ed8"/>'
                                            b'</svg>'), save=False)
    svg.save()
    (s,) = assertion_issue(badge_class=svg, recipients=[Recipient(identity="learner@bench.example")])
from django.contrib.auth import get_user_model
from endorsements.services import endorser_profile_save
owner = get_user_model().objects.create_user(f"hr-{tag}@bench.example", "bench-password-123")
endorser = endorser_profile_save(user=owner, name="Bench Builders", url="https://builders.example",
                                 email="skills@builders.example")
print("ASSERTION", a.public_id, "BADGE", badge.public_id, "ISSUER", issuer.public_id, "SVG", s.public_id,
      "ENDORSER", endorser.public_id)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(port: int, var_dir: Path) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if k not in {"CI_SKIP"}}
    env.update({
        "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL, "DEBUG": "false", "LOG_LEVEL": "WARNING",
        # a benchmark on loopback with console email: a local deployment, said explicitly
        "ALLOW_LOCAL_DEPLOYMENT": "true",
        "SECRET_KEY": "bench-" + "x" * 40, "KEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "badgeplatform.settings", "PYTHONPATH": str(ROOT),
    })
    return env


def prepare(env: dict[str, str]) -> dict[str, str]:
    made = subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE_NAME], capture_output=True,
                          text=True)
    if made.returncode and "already exists" not in made.stderr:
        sys.exit(f"createdb failed: {made.stderr}")
    subprocess.run(["redis-cli", "-n", REDIS_URL.rsplit("/", 1)[1], "flushdb"], check=True, capture_output=True)
    for args in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([str(PY), "manage.py", *args], cwd=ROOT, env=env, check=True)
    out = subprocess.run([str(PY), "manage.py", "shell", "-c", SEED], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    found = re.search(r"ASSERTION (\S+) BADGE (\S+) ISSUER (\S+) SVG (\S+) ENDORSER (\S+)", out)
    assert found is not None, out
    return dict(zip(("assertion", "badge", "issuer", "svg", "endorser"), found.groups(), strict=True))


def wait_for(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"server at {url} did not start")


def fetch(url: str, accept: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=5) as r:
        return r.status, r.read()


def fetch_headers(url: str, accept: str) -> dict[str, str]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=5) as r:
        r.read()
        return dict(r.headers)


def status_list_url(base: str, assertion: str) -> str:
    """The URL of the OB 3.0 status list the award's credential names, on this server."""
    import json

    _, body = fetch(f"{base}/public/credentials/{assertion}", "*/*")
    return base + "/public/" + json.loads(body)["credentialStatus"]["statusListCredential"].split("/public/", 1)[1]


def page_median_ms(url: str, accept: str, count: int = 20) -> float:
    """Median of ``count`` warm sequential requests, one client (what one employer waits)."""
    fetch(url, accept)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        fetch(url, accept)
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)[count // 2]


def server_cpu(pid: int) -> float:
    """User + system CPU seconds of gunicorn's master and its workers (Linux ``/proc``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total = 0.0
    for each in [pid, *map(int, children)]:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def run_wrk(url: str, accept: str, duration: int, etag: str = "", server: int = 0) -> tuple[float, float, float]:
    """req/s, p99 ms, and the server's CPU µs per request (which a loaded machine distorts least)."""
    headers = ["-H", f"Accept: {accept}"] + (["-H", f"If-None-Match: {etag}"] if etag else [])
    cpu = server_cpu(server) if server else 0.0
    out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency", *headers,
                          url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99_ms = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    if "Non-2xx" in out and not etag:  # a 304 counts as "non-2xx or 3xx" to wrk
        sys.exit(f"non-2xx answers while measuring {url}:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    cpu_us = (server_cpu(server) - cpu) / max(1, requests) * 1e6 if server else 0.0
    return rps, p99_ms, cpu_us


def start_nginx(tmp: Path, body: bytes) -> tuple[subprocess.Popen | None, int]:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        return None, 0
    port = free_port()
    (tmp / "www").mkdir()
    (tmp / "www" / "assertion.json").write_bytes(body)
    for path in (tmp, tmp / "www"):  # nginx's workers run as another user and must read the file
        path.chmod(0o755)  # noqa: S103 -- a throwaway directory holding one public document
    conf = tmp / "nginx.conf"
    conf.write_text(f"""
worker_processes 2;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location / {{ root {tmp}/www; default_type application/ld+json; }}
  }}
}}
""")
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf.write_text(user + conf.read_text())
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp), "-g", "daemon off;"])
    wait_for(f"http://127.0.0.1:{port}/assertion.json")
    return proc, port


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--threads", type=int, default=0,
                        help="gunicorn gthread workers with this many threads (keep-alive) instead of sync workers")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (apt-get install wrk)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp_name:
        tmp = Path(tmp_name)
        env = environment(port, tmp / "var")
        ids = prepare(env)
        workers = ["--worker-class", "gthread", "--threads", str(args.threads)] if args.threads else []
        server = subprocess.Popen([str(GUNICORN), "bench.wsgi:application", "-w", "2", *workers, "-b",
                                   f"127.0.0.1:{port}", "--log-level", "warning"], cwd=ROOT, env=env,
                                  start_new_session=True)
        nginx = None
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/bench/minimal")
            json_url, minimal_url = f"{base}/public/assertions/{ids['assertion']}", f"{base}/bench/minimal"
            status, body = fetch(json_url, "application/ld+json")
            assert status == 200, status
            assert b'"type":"Assertion"' in body, body[:200]
            status, page = fetch(json_url, BROWSER_ACCEPT)
            assert status == 200, status
            assert b"Valid badge" in page, page[:200]
            etag = fetch_headers(json_url, "application/ld+json")["ETag"]
            nginx, nginx_port = start_nginx(tmp, body)
            documents = [("public assertion JSON", json_url, "application/ld+json", ""),
                         ("  the same, 304 (If-None-Match)", json_url, "application/ld+json", etag),
                         ("public assertion baked image", f"{json_url}/image", "image/png", ""),
                         ("public assertion baked image (SVG)", f"{base}/public/assertions/{ids['svg']}/image",
                          "image/svg+xml", ""),
                         ("public badge class JSON", f"{base}/public/badges/{ids['badge']}", "application/ld+json", ""),
                         ("public issuer JSON", f"{base}/public/issuers/{ids['issuer']}", "application/ld+json", ""),
                         ("revocation list", f"{base}/public/issuers/{ids['issuer']}/revocations",
                          "application/ld+json", ""),
                         ("OB 3.0 credential", f"{base}/public/credentials/{ids['assertion']}", "*/*", ""),
                         ("OB 3.0 credential VC-JWT", f"{base}/public/credentials/{ids['assertion']}/jwt", "*/*", ""),
                         ("OB 3.0 baked image", f"{base}/public/credentials/{ids['assertion']}/image",
                          "image/png", ""),
                         ("OB 3.0 baked image (SVG)", f"{base}/public/credentials/{ids['svg']}/image",
                          "image/svg+xml", ""),
                         ("OB 3.0 status list", status_list_url(base, ids["assertion"]), "*/*", ""),
                         ("OB 3.0 credential revocation list",
                          f"{base}/public/issuers/{ids['issuer']}/credential-revocations", "*/*", ""),
                         ("issuer DID document", f"{base}/public/issuers/{ids['issuer']}/did.json",
                          "application/did+json", ""),
                         ("endorser DID document", f"{base}/public/endorsers/{ids['endorser']}/did.json",
                          "application/did+json", "")]
            targets = [("minimal WSGI app (constant JSON)", f"{base}/bench/wsgi-minimal", "application/json", ""),
                       ("minimal Django view (constant JSON)", minimal_url, "application/json", ""), *documents]
            if nginx is not None:
                targets.append(("nginx static file (same JSON)", f"http://127.0.0.1:{nginx_port}/assertion.json",
                                "application/ld+json", ""))
            results = {}
            for name, url, accept, tag in targets:
                fetch(url, accept)  # built once, so the lean path has it
                run_wrk(url, accept, 2, tag)  # warm up: connections, caches, worker imports
                results[name] = run_wrk(url, accept, args.duration, tag, server.pid if "nginx" not in name else 0)
            page_ms = page_median_ms(json_url, BROWSER_ACCEPT)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
            if nginx is not None:
                nginx.terminate()
                nginx.wait(timeout=20)
    minimal_rps = results["minimal Django view (constant JSON)"][0]
    wsgi_rps = results["minimal WSGI app (constant JSON)"][0]
    kind = f"gthread workers x {args.threads} threads" if args.threads else "sync workers"
    print(f"\ngunicorn 2 {kind}, PostgreSQL + Redis, wrk {CONNECTIONS} connections, {args.duration}s each, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}\n")
    print(f"{'target':40} {'req/s':>8} {'p99 ms':>8} {'vs Django':>10} {'vs WSGI':>8} {'CPU µs/req':>10} "
          f"{'2 cores':>8}  goal")
    documents_names = {name for name, *_ in documents}
    for name, (rps, p99, cpu_us) in results.items():
        goal = (f">= {GOAL_RPS}: {'ok' if rps >= GOAL_RPS else 'MISSED'}") if name in documents_names else ""
        capacity = f"{2e6 / cpu_us:8.0f}" if cpu_us else " " * 8
        print(f"{name:40} {rps:8.0f} {p99:8.2f} {rps / minimal_rps:10.0%} {rps / wsgi_rps:8.0%} {cpu_us:10.0f} "
              f"{capacity}  {goal}")
    print("(CPU µs/req: gunicorn's CPU time per request; '2 cores': the req/s that CPU cost allows on two idle "
          "cores, before wrk's own share)")
    print(f"\nemployer's HTML page (public assertion page), median of 20: {page_ms:.1f} ms "
          f"(goal < {GOAL_PAGE_MS} ms: {'ok' if page_ms < GOAL_PAGE_MS else 'MISSED'})")
    if nginx is not None:
        nginx_rps = results["nginx static file (same JSON)"][0]
        print(f"nginx / public JSON = {nginx_rps / results['public assertion JSON'][0]:.1f}x")


if __name__ == "__main__":
    main()
