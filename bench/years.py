"""Years of data: every staff page, learner page, API list and export of one college grown to 10 k,
100 k and (with ``--sizes``) 1 M awards, with 50 small colleges beside it (issue 19).

The data is made through the issuing service in batches, as a CSV cohort is recorded (email rows in
the outbox included), then settled as years of use leave it: awards spread over five years, emails
sent, images baked, a share of awards claimed, revoked or expired, and one learner holding 300 badges
in the backpack (pathways: ``bench/pathways.py``, on the same databases). At each size gunicorn (2 sync
workers, DEBUG off) serves the pages; each
page gets 2 cold and 20 warm requests, and the script prints the median and p95 of the warm ones,
the queries each made (``--queries``), and the goal: p95 <= 200 ms at every size, growing at most 2x
from the first size. Then every beat task (the sweeps, pathway reconciliation, expiry reminders, the
imports' re-check, storage, the pruning and clearing tasks) runs in this process at each size: once for
real ("yesterday's run", committed), then 5 times, each in a transaction that is rolled back. Settled years
leave them little to do, so their time per thing done must not grow with the tables (goal: at most 2x from
the first size); the script prints what each did and the statements it made.

Usage: ``.venv/bin/python bench/years.py [--sizes 10000,100000,1000000] [--requests 20]``.
Needs PostgreSQL and Redis on 127.0.0.1: the database ``bench_years`` (or the one ``DATABASE_URL``
names) is dropped and created afresh; Redis database 13 (or ``REDIS_URL``'s) is flushed.

After each size the grown database is copied (``CREATE DATABASE bench_years_10000 TEMPLATE
bench_years``), so one ``--grow-only`` run leaves a database per size, and a later ``--reuse`` run
measures each copy in turn (``--sizes 10000,100000,1000000``) on one machine state, printing each
page's growth against the 2x goal. A size with no copy is measured on (and grown into) the database
itself, as before.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/bench_years"
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13"
DATABASE_NAME = DATABASE_URL.rsplit("/", 1)[1]
PASSWORD = "bench-password-Zq7!"  # noqa: S105 - the bench's throwaway accounts
GOAL_P95_MS, GOAL_GROWTH = 200.0, 2.0
BATCH = 5_000
# A fixed key, so a database grown by one run (--grow-only) can be measured by a later one (--reuse).
BENCH_FERNET_KEY = "YmVuY2gteWVhcnMta2V5LW5vdC1hLXNlY3JldC0wMDA="
BADGES = 20  # the big college's badge classes; awards are spread over them, the first one biggest
BEAT_RUNS = 5
BEAT_FLOOR_MS = 10.0  # a beat task's run of a few milliseconds is flat, whatever a busy machine adds to it


def environment(var_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL, "VAR_DIR": str(var_dir),
        "DEBUG": "false", "ALLOW_LOCAL_DEPLOYMENT": "true", "SECRET_KEY": "bench-" + "x" * 40,
        "KEY_ENCRYPTION_KEYS": BENCH_FERNET_KEY, "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "badgeplatform.settings", "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": "9", "EMAIL_USE_TLS": "false", "PIPELINE_STUCK_AFTER": "360000",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }


def database_fresh(env: dict[str, str]) -> None:
    if not DATABASE_NAME.replace("_", "").isalnum():
        raise SystemExit(f"DATABASE_URL must name a plain database, not {DATABASE_NAME!r}")
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", DATABASE_NAME], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE_NAME], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    # DEBUG is off, so pages name static files through the manifest that collectstatic writes.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                   check=True)
    broker_flush()


def psql(sql: str, database: str = "postgres") -> str:
    done = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-Atqc", sql],
                          check=True, capture_output=True, text=True)
    return done.stdout.strip()


def copy_name(size: int, database: str = DATABASE_NAME) -> str:
    return f"{database}_{size}"


def copy_exists(size: int) -> bool:
    name = copy_name(size)
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"DATABASE_URL must name a plain database, not {DATABASE_NAME!r}")
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"  # noqa: S608 - a plain name


def copy_keep(size: int) -> None:
    """Copy the database as grown to ``size`` (no session may be connected to it while it is copied)."""
    from django.db import connections

    connections.close_all()
    name = copy_name(size)
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", name], check=True)
    psql(f'CREATE DATABASE "{name}" TEMPLATE "{DATABASE_NAME}"')
    print(f"kept a copy of the database at {size:,} awards: {name}", flush=True)


def broker_flush() -> None:
    """The awards' bake and email tasks: no worker runs here (the data is settled by SQL instead)."""
    subprocess.run(["redis-cli", "-n", REDIS_URL.rsplit("/", 1)[1], "FLUSHDB"], check=True, capture_output=True)


# Five years of awards: each made on one of the last 1,826 days (ids scattered over them, so every badge
# and every size has old and new awards); what was set from the issue date moves with it. Awards made
# today only (a batch just grown) are moved, so each is moved once.
SPREAD_SQL = """
UPDATE assertions_assertion SET issued_on = issued_on - d, created_at = created_at - d,
       claimed_at = claimed_at - d, expires = expires - d
FROM (SELECT id AS spread_id, (((id * 7919) % 1826) + 1) * interval '1 day' AS d FROM assertions_assertion
      WHERE created_at > now() - interval '1 day') AS spread
WHERE id = spread_id
"""


def tallies_rebuild(cursor: Any) -> None:
    """The claims and revocations above were set by SQL, past the services that keep the tallies."""
    from assertions.tally import DELAY_REBUILD_SQL, REBUILD_SQL

    cursor.execute("DELETE FROM assertions_awardtally")
    cursor.execute("DELETE FROM assertions_claimdelaytally")
    cursor.execute(REBUILD_SQL.format(where=""))
    cursor.execute(DELAY_REBUILD_SQL.format(where=""))


def spread_if_needed() -> None:
    """A database grown before awards were spread over five years (a --grow-only run of 3 Dec): spread them,
    once, and recount the tallies, so the kept copies need not be grown again."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT max(issued_on) - min(issued_on) < interval '365 days' FROM assertions_assertion")
        if not cursor.fetchone()[0]:
            return
        print("spreading the awards over five years (once for this database)", flush=True)
        cursor.execute(SPREAD_SQL.replace("WHERE created_at > now() - interval '1 day'", ""))
        tallies_rebuild(cursor)
        cursor.execute("VACUUM ANALYZE")


class World:
    """The colleges, badges and people the pages are measured for."""

    def __init__(self) -> None:
        from django.core.files.base import ContentFile
        from PIL import Image

        from accounts.models import User
        from badges.models import BadgeClass
        from issuers.scoping import tenant_scope
        from issuers.services import api_key_create, issuer_create, tenant_create

        def png(colour: tuple[int, int, int, int]) -> bytes:
            import io

            out = io.BytesIO()
            Image.new("RGBA", (128, 128), colour).save(out, "PNG")
            return out.getvalue()

        def college(slug: str, name: str, badges: int) -> tuple[object, list[object]]:
            tenant = tenant_create(slug=slug, name=name, admin_email=f"admin@{slug}.example").tenant
            with tenant_scope(tenant):
                issuer = issuer_create(tenant=tenant, name=name, url=f"https://{slug}.example",
                                       email=f"badges@{slug}.example")
                made = []
                for n in range(badges):
                    badge = BadgeClass(tenant=tenant, issuer=issuer, name=f"{name} skill {n}",
                                       description="A practical skill, assessed.")
                    badge.image.save("b.png", ContentFile(png((29, 78, 216, 255))), save=False)
                    badge.save()
                    made.append(badge)
            return tenant, made

        self.tutor = tenant_create(slug="big", name="Big City College", admin_email="tutor@big.example",
                                   admin_password=PASSWORD).admin
        self.tenant, self.badges = college("big", "Big City College", BADGES)
        self.small = [college(f"small{n}", f"Small College {n}", 2) for n in range(50)]
        self.learner = User.objects.create_user(email="holder@learners.example", password=PASSWORD)
        self.learner.emailaddress_set.create(email=self.learner.email, verified=True, primary=True)
        with tenant_scope(self.tenant):
            _, self.api_secret = api_key_create(tenant=self.tenant, name="MIS", actor=self.tutor)
        self.awarded = 0

    @classmethod
    def existing(cls) -> World:
        """The world a ``--grow-only`` run left in the database, with a new API key."""
        from accounts.models import User
        from assertions.models import Assertion
        from badges.models import BadgeClass
        from issuers.models import Tenant
        from issuers.scoping import tenant_scope
        from issuers.services import api_key_create

        world = cls.__new__(cls)
        world.tutor = User.objects.get(email="tutor@big.example")
        world.learner = User.objects.get(email="holder@learners.example")
        world.tenant = Tenant.objects.get(slug="big")
        world.small = []
        for n in range(50):
            tenant = Tenant.objects.get(slug=f"small{n}")
            with tenant_scope(tenant):
                world.small.append((tenant, list(BadgeClass.objects.order_by("pk"))))
        with tenant_scope(world.tenant):
            world.badges = list(BadgeClass.objects.order_by("pk"))
            _, world.api_secret = api_key_create(tenant=world.tenant, name="MIS", actor=world.tutor)
            world.awarded = Assertion.objects.exclude(recipient_identity=world.learner.email).count()
        return world

    def grow(self, size: int) -> None:
        """Award the big college's badges until it holds ``size`` awards; each small college gets 1 %."""
        from assertions.services import Recipient, assertion_issue
        from issuers.scoping import tenant_scope

        if self.awarded >= size:
            return  # a database grown before (--reuse): already settled, vacuumed and analysed
        while self.awarded < size:
            n = min(BATCH, size - self.awarded)
            # The first badge gets a third of all awards, the rest share the others.
            badge = self.badges[0] if (self.awarded // BATCH) % 3 == 0 else \
                self.badges[1 + (self.awarded // BATCH) % (BADGES - 1)]
            recipients = [Recipient(identity=f"learner{self.awarded + i}@learners.example",
                                    name=f"Learner {self.awarded + i}") for i in range(n)]
            with tenant_scope(self.tenant):
                assertion_issue(badge_class=badge, recipients=recipients, actor=self.tutor)
            self.awarded += n
            for tenant, badges in self.small:
                k = max(1, n // 100 // len(self.small))
                with tenant_scope(tenant):
                    assertion_issue(badge_class=badges[0], recipients=[
                        Recipient(identity=f"learner{self.awarded + i}@learners.example") for i in range(k)])
            broker_flush()
        self.settle()

    def settle(self) -> None:
        """What years of use leave: awards spread over five years, emails sent, images baked, 30 % claimed,
        2 % revoked, 5 % expired."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(SPREAD_SQL)
            cursor.execute("UPDATE issuers_outboxemail SET status = 'sent', sent_at = now() WHERE status = 'queued'")
            cursor.execute("UPDATE assertions_assertion SET bake_status = 'done' WHERE bake_status = 'pending'")
            cursor.execute("UPDATE assertions_assertion SET claimed_at = issued_on WHERE id % 10 < 3 "
                           "AND claimed_at IS NULL")
            cursor.execute("UPDATE assertions_assertion SET revoked = true, revoked_at = now(), "
                           "revocation_reason = 'Issued in error' WHERE id % 50 = 7 AND NOT revoked")
            cursor.execute("UPDATE assertions_assertion SET expires = issued_on + interval '1 day' "
                           "WHERE id % 20 = 3 AND expires IS NULL")
            tallies_rebuild(cursor)
            # Years of use leave the tables vacuumed (autovacuum); one bulk UPDATE of every award leaves
            # dead index entries that a real college's gradual changes never pile up (an empty index scan
            # of the outbox's queued emails took 11 ms at 1,000,000 before this).
            cursor.execute("VACUUM ANALYZE")

    def holder_badges(self, count: int = 300) -> None:
        """One learner with ``count`` badges of the big college, claimed into the backpack."""
        from assertions.services import Recipient, assertion_issue
        from backpack.services import assertion_claim
        from issuers.scoping import tenant_scope

        with tenant_scope(self.tenant):
            for n in range(count):
                (award,) = assertion_issue(badge_class=self.badges[n % BADGES], allow_duplicate=True,
                                           recipients=[Recipient(identity=self.learner.email, name="Hol Der")])
                assertion_claim(assertion=award, user=self.learner)
        broker_flush()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gunicorn_start(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "badgeplatform.wsgi:application", "--bind",
                             f"127.0.0.1:{port}", "--workers", "2", "--timeout", "120"],
                            cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(url + "/healthz", timeout=30)
            return proc, url
        except (requests.ConnectionError, requests.Timeout):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start:\n{log.read_text()[-3000:]}") from None
            time.sleep(0.3)


def signed_in(url: str, email: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{url}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    done = session.post(f"{url}/accounts/login/", data={"login": email, "password": PASSWORD,
                                                        "csrfmiddlewaretoken": token.group(1)},
                        headers={"Referer": f"{url}/accounts/login/"}, timeout=30, allow_redirects=False)
    assert done.status_code == 302, (done.status_code, done.text[:500])
    return session


def pages(world: World) -> dict[str, tuple[str, str]]:
    """name -> (who, path): who is tutor, learner, api or public."""
    from assertions.models import Assertion
    from issuers.scoping import tenant_scope

    slug, big = world.tenant.slug, world.badges[0]
    with tenant_scope(world.tenant):
        one = Assertion.objects.filter(badge_class=big).order_by("pk").first()
        assert one is not None
    return {
        "staff dashboard": ("tutor", f"/t/{slug}/"),
        "staff dashboard, badge search": ("tutor", f"/t/{slug}/?q=skill+1"),
        "biggest badge's page": ("tutor", f"/t/{slug}/badges/{big.public_id}/"),
        "its awards searched by email": ("tutor", f"/t/{slug}/badges/{big.public_id}/?q=learner77%40learners.example"),
        # "Learner 77" matches 11 of its awards at 10,000 and 1,011 from 100,000 on (the page shows 50);
        # "Learner 1" matches more than 50 at every size, so the page shows as many rows at each.
        "its awards searched by name": ("tutor", f"/t/{slug}/badges/{big.public_id}/?q=Learner+77"),
        "  the same, 50+ matches at each size": ("tutor", f"/t/{slug}/badges/{big.public_id}/?q=Learner+1"),
        "an award's page": ("tutor", f"/t/{slug}/awards/{one.public_id}/"),
        "outcomes page": ("tutor", f"/t/{slug}/outcomes/"),
        "outcomes CSV export": ("tutor", f"/t/{slug}/outcomes/?format=csv"),
        "audit log": ("tutor", f"/t/{slug}/audit/"),
        "pathways": ("tutor", f"/t/{slug}/pathways/"),
        "API: assertion list": ("api", "/api/v1/assertions/"),
        "API: assertion list, page 100": ("api", "/api/v1/assertions/?page=100"),
        "API: assertion list, 500 a page": ("api", "/api/v1/assertions/?page_size=500"),
        "learner: backpack (300 badges)": ("learner", "/backpack/"),
        "public assertion JSON": ("public", f"/public/assertions/{one.public_id}?format=json"),
        "public revocation list": ("public", f"/public/issuers/{big.issuer.public_id}/revocations"),
    }


def measure(url: str, sessions: dict[str, requests.Session], paths: dict[str, tuple[str, str]],
            count: int) -> dict[str, tuple[float, float, int]]:
    results = {}
    for name, (who, path) in paths.items():
        session = sessions[who]
        times, status = [], 0
        for n in range(count + 2):
            started = time.perf_counter()
            response = session.get(url + path, timeout=300, stream=True)
            for _ in response.iter_content(65536):  # an export streams: time it to the last byte
                pass
            status = response.status_code
            if n >= 2:
                times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        results[name] = (statistics.median(times), p95, status)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--grow-only", action="store_true", help="grow the database to the sizes and keep it")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the databases a --grow-only run left (migrated first), growing it if asked")
    parser.add_argument("--no-copies", action="store_true", help="keep no copy of the database at each size")
    parser.add_argument("--json-out", help=argparse.SUPPRESS)  # one size measured for a --reuse parent
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    if args.reuse and not args.json_out and any(copy_exists(size) for size in sizes):
        reuse_copies(sizes, args.requests)
        return
    var_dir = Path(tempfile.mkdtemp(prefix="bench-years-"))
    env = environment(var_dir)
    os.environ.update(env)
    if args.reuse:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                       check=True)
    else:
        database_fresh(env)
    import django

    django.setup()
    if args.reuse:
        spread_if_needed()
        world = World.existing()
    else:
        world = World()
        world.holder_badges()
    paths = pages(world)
    by_size: dict[int, dict[str, tuple[float, float, int]]] = {}
    beat_by_size: dict[int, dict[str, tuple[float, float, int, str]]] = {}
    for size in sizes:
        started = time.perf_counter()
        grew = world.awarded < size
        world.grow(size)
        grown = time.perf_counter() - started
        if grew and not args.no_copies and not args.json_out:
            copy_keep(size)
        if args.grow_only:
            print(f"grown to {size:,} awards in the big college ({grown:.0f} s)", flush=True)
            continue
        by_size[size] = measure_served(env, var_dir, world, paths, args.requests)
        beat_by_size[size] = measure_beat()
        print(f"grown to {size:,} awards in the big college ({grown:.0f} s)", flush=True)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"load average while measuring: {load}", flush=True)
        if args.json_out:
            Path(args.json_out).write_text(json.dumps({str(k): v for k, v in by_size.items()}
                                                      | {f"beat {k}": v for k, v in beat_by_size.items()}))
        else:
            report(by_size, sizes[0])
            report_beat(beat_by_size, sizes[0])


def measure_served(env: dict[str, str], var_dir: Path, world: World, paths: dict[str, tuple[str, str]],
                   count: int) -> dict[str, tuple[float, float, int]]:
    proc, url = gunicorn_start(env, var_dir / "web.log")
    try:
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {world.api_secret}"
        sessions = {"tutor": signed_in(url, world.tutor.email), "learner": signed_in(url, world.learner.email),
                    "api": api, "public": requests.Session()}
        return measure(url, sessions, paths, count)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def measure_beat() -> dict[str, tuple[float, float, int, str]]:
    """Each task of ``CELERY_BEAT_SCHEDULE`` run once, then ``BEAT_RUNS`` times in this process, each of these
    rolled back: name -> (median ms, slowest ms, statements of one run, the last run's result)."""
    from celery import current_app
    from django.conf import settings
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    results = {}
    for name in sorted({entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}):
        importlib.import_module(name.rsplit(".", 1)[0])  # the app's tasks are found lazily
        task = current_app.tasks[name]
        task.apply().get()  # yesterday's run, committed: what a daily task finds is what a day left it
        times, outcome = [], ""
        for _ in range(BEAT_RUNS):
            with transaction.atomic():
                started = time.perf_counter()
                outcome = repr(task.apply().get())
                times.append((time.perf_counter() - started) * 1000)
                transaction.set_rollback(True)
        connection.queries_log.clear()  # the log keeps 9,000 statements: counted from empty
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            task.apply().get()
            statements = len(queries)
            transaction.set_rollback(True)
        results[name.rsplit(".", 1)[1]] = (statistics.median(times), max(times), statements, outcome[:60])
    return results


def reuse_copies(sizes: list[int], count: int) -> None:
    """Measure the copy kept at each size, one after another, each in a run of its own."""
    by_size: dict[int, dict[str, tuple[float, float, int]]] = {}
    beat_by_size: dict[int, dict[str, tuple[float, float, int, str]]] = {}
    for size in sizes:
        database = copy_name(size) if copy_exists(size) else DATABASE_NAME
        print(f"measuring {database} ({size:,} awards)", flush=True)
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            env = {**os.environ, "DATABASE_URL": DATABASE_URL.rsplit("/", 1)[0] + "/" + database}
            subprocess.run([sys.executable, __file__, "--reuse", "--sizes", str(size), "--requests", str(count),
                            "--json-out", out.name], env=env, check=True)
            measured = json.loads(Path(out.name).read_text())
        by_size[size] = {name: (m[0], m[1], m[2]) for name, m in measured[str(size)].items()}
        beat_by_size[size] = {name: (m[0], m[1], m[2], m[3]) for name, m in measured[f"beat {size}"].items()}
        report(by_size, sizes[0])
        report_beat(beat_by_size, sizes[0])


def report(by_size: dict[int, dict[str, tuple[float, float, int]]], first: int) -> None:
    sizes = sorted(by_size)
    header = (f"{'page':<36}" + "".join(f"{f'{s:,}: median / p95 ms':>28}" for s in sizes)
              + f"{f'p95 growth (<= {GOAL_GROWTH:.0f}x)':>22}   verdict")
    print("\n" + header)
    missed = 0
    for name in by_size[sizes[0]]:
        cells, verdict = [], "ok"
        for size in sizes:
            median, p95, status = by_size[size][name]
            cells.append(f"{median:>12.0f} / {p95:>6.0f} ({status})")
            if p95 > GOAL_P95_MS:
                verdict = f"MISSED p95 > {GOAL_P95_MS:.0f} ms"
            if status >= 400:
                verdict = f"HTTP {status}"
        growth = by_size[sizes[-1]][name][1] / max(by_size[first][name][1], 1.0)
        if growth > GOAL_GROWTH and verdict == "ok":
            verdict = f"MISSED grew {growth:.1f}x"
        missed += verdict != "ok"
        print(f"{name:<36}" + "".join(f"{c:>28}" for c in cells) + f"{f'{growth:.2f}x':>22}   {verdict}")
    print(f"\ngoal: p95 <= {GOAL_P95_MS:.0f} ms for every page at every size, at most {GOAL_GROWTH:.0f}x the "
          f"p95 at {first:,}; {missed} missed\n", flush=True)


def _work(outcome: str) -> int:
    """How much a beat task's run did, from what it returned (a count, or a dict of counts), at least 1."""
    try:
        value = ast.literal_eval(outcome)
    except (ValueError, SyntaxError):
        return 1
    if isinstance(value, dict):
        value = sum(v for v in value.values() if isinstance(v, int))
    return max(1, value) if isinstance(value, int) else 1


def report_beat(by_size: dict[int, dict[str, tuple[float, float, int, str]]], first: int) -> None:
    sizes = sorted(by_size)
    print(f"{'beat task (rolled back)':<28}" + "".join(f"{f'{s:,}: median / max ms, statements':>38}" for s in sizes)
          + f"{'growth':>9}   verdict   last result at {sizes[-1]:,}")
    missed = 0
    for name in by_size[sizes[0]]:
        cells = [f"{by_size[s][name][0]:>10.1f} / {by_size[s][name][1]:>7.1f}, {by_size[s][name][2]:>4}" for s in sizes]
        # Time per thing done: a run that reminds 1,000 learners does more than one that reminds 500.
        last, base = by_size[sizes[-1]][name], by_size[first][name]
        growth = (max(last[0], BEAT_FLOOR_MS) / _work(last[3])) / (max(base[0], BEAT_FLOOR_MS) / _work(base[3]))
        verdict = "ok" if growth <= GOAL_GROWTH else f"MISSED grew {growth:.1f}x"
        missed += verdict != "ok"
        print(f"{name:<28}" + "".join(f"{c:>38}" for c in cells) + f"{f'{growth:.2f}x':>9}   {verdict:<9} "
              f"{by_size[sizes[-1]][name][3]}")
    print(f"\ngoal: a beat task's median per thing it did (its result's count, at least 1) at most "
          f"{GOAL_GROWTH:.0f}x that at {first:,} (medians under {BEAT_FLOOR_MS:.0f} ms count as "
          f"{BEAT_FLOOR_MS:.0f}); {missed} missed\n", flush=True)


if __name__ == "__main__":
    main()
