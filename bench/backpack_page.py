"""The backpack's first page for a learner holding N badges, in-process (Django's test client, DEBUG off).

Each run makes a new college with 10 badge classes and a learner holding ``--badges`` of its awards
(claimed, as ``years.py`` does), warms the page, then times ``--requests`` GETs of ``/backpack/`` and of
its second page: wall-clock median and p95, ``time.process_time`` per request, and the queries of one.

Usage: ``DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/backpack_page.py [--badges 300] [--requests 30]``
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import issue_bulk  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--badges", type=int, default=300)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    env = issue_bulk.environment(Path(tempfile.mkdtemp(prefix="bench-backpack-")), 0)
    os.environ.update(env)
    issue_bulk.database_prepare(env)
    # DEBUG is off, so pages name static files through the manifest that collectstatic writes.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                   check=True)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.db import connection
    from django.test import Client
    from PIL import Image

    from assertions.services import Recipient, assertion_issue
    from backpack.services import assertion_claim
    from badges.models import BadgeClass
    from issuers.scoping import tenant_scope
    from issuers.services import issuer_create, tenant_create

    tag = f"{int(time.time())}"
    tenant = tenant_create(slug=f"bp-{tag}", name="Bench College", admin_email=f"admin-{tag}@bench.example").tenant
    learner = get_user_model().objects.create_user(email=f"holder-{tag}@learners.example", password="x" * 20)
    learner.emailaddress_set.create(email=learner.email, verified=True, primary=True)
    with tenant_scope(tenant):
        issuer = issuer_create(tenant=tenant, name="Bench College", url="https://bench.example",
                               email="badges@bench.example")
        badges = []
        for n in range(10):
            png = io.BytesIO()
            Image.new("RGBA", (64, 64), (29, 78, 216, 255)).save(png, "PNG")
            badge = BadgeClass(tenant=tenant, issuer=issuer, name=f"Badge {n}", description="A skill.")
            badge.image.save("bench.png", ContentFile(png.getvalue()), save=False)
            badge.save()
            badges.append(badge)
        for n in range(args.badges):
            (award,) = assertion_issue(badge_class=badges[n % 10], allow_duplicate=True, notify=False,
                                       recipients=[Recipient(identity=learner.email, name="Hol Der")])
            assertion_claim(assertion=award, user=learner)

    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(learner)
    first = client.get("/backpack/")
    assert first.status_code == 200, first.status_code
    found = re.search(r'href="(\?[^"]+)" rel="next"', first.content.decode())
    paths = {"first page": "/backpack/", "second page": "/backpack/" + found.group(1).replace("&amp;", "&")
             if found else "/backpack/"}
    for name, path in paths.items():
        client.get(path)
        queries: list[str] = []

        def count(execute, sql, *rest, queries=queries):  # noqa: ANN001, ANN202 - Django's wrapper signature
            queries.append(sql)
            return execute(sql, *rest)

        with connection.execute_wrapper(count):
            client.get(path)
        wall, cpu = [], []
        for _ in range(args.requests):
            c0, w0 = time.process_time(), time.perf_counter()
            response = client.get(path)
            wall.append((time.perf_counter() - w0) * 1e3)
            cpu.append((time.process_time() - c0) * 1e3)
            assert response.status_code == 200
        wall.sort()
        p95 = wall[min(len(wall) - 1, int(len(wall) * 0.95))]
        print(f"{args.badges} badges, {name}: median {statistics.median(wall):.1f} ms, p95 {p95:.1f} ms, "
              f"CPU {statistics.median(cpu):.1f} ms (median), {len(queries)} queries, load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
