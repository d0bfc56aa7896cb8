"""Benchmark the award API under gunicorn: a single award's latency, and a 10,000-row upload's memory.

Starts gunicorn (2 sync workers, the real settings with ``DEBUG=false``) on PostgreSQL + Redis, makes
a college, a badge class and an API key, then:

1. **single award**: ``POST /api/v1/badgeclasses/<id>/assertions/`` for ``--awards`` learners one after
   another (warm, one client); prints p50 and p95 (goal: p50 <= 10 ms) and the
   gunicorn workers' CPU time per award (what a loaded machine distorts least);
2. **upload**: a 10,000-row CSV (multipart) and the same rows as JSON to the bulk endpoint; prints
   each web worker's peak resident memory (``VmHWM``) after each (goal: < 150 MB).

No Celery worker runs: the awards' bake-and-email tasks and the bulk job wait on the broker, which
is flushed at the end. Usage: ``.venv/bin/python bench/api_awards.py [--awards 300]``; ``DATABASE_URL``
and ``REDIS_URL`` as for ``bench/public_docs.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import public_docs  # noqa: E402 - the same server set-up

GOAL_P50_MS = 10.0
GOAL_RSS_MB = 150.0
ROWS = 10_000

SEED = """
import io, time
from django.core.files.base import ContentFile
from PIL import Image
from badges.models import BadgeClass
from issuers.scoping import tenant_scope
from issuers.services import api_key_create, issuer_create, tenant_create
tag = str(int(time.time()))
tenant = tenant_create(slug=f"api-{tag}", name="API College", admin_email=f"admin-{tag}@api.example").tenant
with tenant_scope(tenant):
    issuer = issuer_create(tenant=tenant, name="API College", url="https://api.example", email="badges@api.example")
    out = io.BytesIO(); Image.new("RGB", (128, 128), (29, 78, 216)).save(out, "PNG")
    badge = BadgeClass(tenant=tenant, issuer=issuer, name="API Badge", description="Measured.")
    badge.image.save("api.png", ContentFile(out.getvalue()), save=False)
    badge.save()
    key, secret = api_key_create(tenant=tenant, name="bench")
print("BADGE", badge.public_id, "KEY", secret)
"""


def post(url: str, key: str, body: bytes, content_type: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": f"Bearer {key}", "Content-Type": content_type, "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def peaks_mb(master: int) -> list[float]:
    """Each gunicorn worker's peak resident memory so far (``VmHWM``), in MB."""
    out = []
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        status = Path(f"/proc/{child}/status").read_text()
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        if found:
            out.append(int(found.group(1)) / 1024)
    return out


def cpu_seconds(master: int) -> float:
    """The CPU time (user + system) the gunicorn workers have used so far, in seconds."""
    total = 0
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def cohort(rows: int) -> list[dict[str, str]]:
    tag = uuid.uuid4().hex[:8]
    return [{"email": f"learner{n}.{tag}@example.org", "name": f"Zoë Siân {n}" if n % 10 == 0 else f"Learner {n}",
             "evidence_url": f"https://portfolio.example/{tag}/{n}", "issued_on": "2026-09-01"} for n in range(rows)]


def multipart(csv_bytes: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cohort.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + csv_bytes + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--awards", type=int, default=300)
    args = parser.parse_args()
    port = public_docs.free_port()
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        env = public_docs.environment(port, Path(tmp) / "var")
        public_docs.prepare(env)  # database, migrations, static files, a flushed Redis database
        out = subprocess.run([str(public_docs.PY), "manage.py", "shell", "-c", SEED], cwd=ROOT, env=env, check=True,
                             capture_output=True, text=True).stdout
        found = re.search(r"BADGE (\S+) KEY (\S+)", out)
        assert found is not None, out
        badge, key = found.groups()
        server = subprocess.Popen([str(public_docs.GUNICORN), "bench.wsgi:application", "-w", "2", "-b",
                                   f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120"],
                                  cwd=ROOT, env=env, start_new_session=True)
        try:
            base = f"http://127.0.0.1:{port}"
            public_docs.wait_for(f"{base}/bench/minimal")
            single = f"{base}/api/v1/badgeclasses/{badge}/assertions/"
            times: list[float] = []
            cpu_start = 0.0
            for n in range(args.awards + 20):
                if n == 20:
                    cpu_start = cpu_seconds(server.pid)
                body = json.dumps({"recipient_email": f"single{n}.{port}@example.org", "recipient_name": f"L {n}"})
                started = time.perf_counter()
                status, answer = post(single, key, body.encode(), "application/json")
                if status != 201:
                    sys.exit(f"award {n}: {status} {answer[:300]!r}")
                if n >= 20:  # the first requests warm both workers
                    times.append((time.perf_counter() - started) * 1000)
            cpu_ms = (cpu_seconds(server.pid) - cpu_start) * 1000 / args.awards
            times.sort()
            p50, p95 = times[len(times) // 2], times[int(len(times) * 0.95)]
            bulk = f"{base}/api/v1/badgeclasses/{badge}/assertions/bulk/"
            rows = cohort(ROWS)
            header = "email,name,evidence_url,issued_on\n"
            csv_bytes = (header + "".join(f"{r['email']},{r['name']},{r['evidence_url']},{r['issued_on']}\n"
                                          for r in rows)).encode()
            before = max(peaks_mb(server.pid))
            status, answer = post(bulk, key, *multipart(csv_bytes))
            if status != 202:
                sys.exit(f"CSV upload: {status} {answer[:300]!r}")
            after_csv = max(peaks_mb(server.pid))
            status, answer = post(bulk, key, json.dumps({"rows": cohort(ROWS)}).encode(), "application/json")
            if status != 202:
                sys.exit(f"JSON upload: {status} {answer[:300]!r}")
            after_json = max(peaks_mb(server.pid))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
            subprocess.run(["redis-cli", "-n", public_docs.REDIS_URL.rsplit("/", 1)[1], "flushdb"], check=False,
                           capture_output=True)
    print(f"\ngunicorn 2 sync workers, PostgreSQL + Redis, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}\n")
    ok = "ok" if p50 <= GOAL_P50_MS else "MISSED"
    print(f"single award through the API ({len(times)} sequential): p50 {p50:.1f} ms, p95 {p95:.1f} ms"
          f"   goal p50 <= {GOAL_P50_MS:.0f} ms: {ok}")
    print(f"  gunicorn CPU per award: {cpu_ms:.1f} ms (user + system, both workers)")
    print(f"web worker peak RSS: {before:.0f} MB before the uploads")
    for name, peak in (("10,000-row CSV upload", after_csv), ("10,000-row JSON upload", after_json)):
        print(f"  after the {name:24} {peak:6.0f} MB   goal < {GOAL_RSS_MB:.0f} MB: "
              f"{'ok' if peak < GOAL_RSS_MB else 'MISSED'}")


if __name__ == "__main__":
    main()
