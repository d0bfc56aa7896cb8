"""Benchmark the cohort path of issue 4: a 10,000-row CSV previewed, recorded, then baked and emailed.

On PostgreSQL + Redis with one real Celery worker (prefork, ``--concurrency`` pool processes, 2 by
default on this 2-core machine) and a local SMTP sink (aiosmtpd, in this process), it measures:

1. read + validate + preview the CSV (``rows_from_csv`` + ``bulk_preview``; goal < 2 s);
2. record every award: the job started as the tutor's "Issue" starts it, recorded by the worker (a task
   per chunk of ``BULK_CHUNK_SIZE`` rows, in both pool processes, ``assertion_issue`` each), timed until
   the job is done (goal <= 1.5 s);
3. all baked and emailed to the sink (from the start of recording to the last email; goal < 30 s).

With ``--webhook`` the college has a webhook endpoint (award issued, award email delivered, bulk job
finished) pointing at a receiver in this process that checks every delivery with the ``standardwebhooks``
library, and it also prints when the last event arrived: the events must not slow the three figures.

Usage: ``.venv/bin/python bench/issue_bulk.py [--rows 10000] [--concurrency 2] [--sink lean|aiosmtpd]
[--webhook | --compare 3]``;
``--compare N`` alternates N runs without and N with the endpoint and prints them side by side, with the
goal line: the pipeline no slower with the endpoint. Needs PostgreSQL
and Redis on 127.0.0.1: the database ``bench_issue`` is created if absent and migrated; Redis database
12 is flushed. ``DATABASE_URL`` and ``REDIS_URL``, when set, name another database and Redis database
instead (so two engineers' runs on one machine do not flush each other's queue). Each run makes a
tenant of its own, so runs do not see each other's learners.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/bench_issue"
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/12"
DATABASE_NAME = DATABASE_URL.rsplit("/", 1)[1]
GOALS = {"preview": 2.0, "record": 1.5, "pipeline": 12.0}  # issue 19 (issue 4's were 2 s, 3 s and 30 s)


def environment(var_dir: Path, smtp_port: int) -> dict[str, str]:
    from cryptography.fernet import Fernet

    return {
        **os.environ,
        "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL, "VAR_DIR": str(var_dir),
        # DEBUG off: with DEBUG on, Django keeps every query in memory, which is not what production pays.
        # ALLOW_LOCAL_DEPLOYMENT: PUBLIC_BASE_URL stays on loopback, which production refuses.
        "DEBUG": "false", "ALLOW_LOCAL_DEPLOYMENT": "true", "SECRET_KEY": "bench-" + "x" * 40,
        "KEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "badgeplatform.settings",
        "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port), "EMAIL_USE_TLS": "false",
        "PIPELINE_STUCK_AFTER": "3600",  # no sweep runs here, but keep it out of the figures regardless
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",  # --webhook: the receiver is on loopback
    }


def database_prepare(env: dict[str, str]) -> None:
    if not DATABASE_NAME.replace("_", "").isalnum():
        raise SystemExit(f"DATABASE_URL must name a plain database, not {DATABASE_NAME!r}")
    exists = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc",
                             # checked above to be a plain name
                             f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'"],  # noqa: S608
                            capture_output=True, text=True, check=True).stdout.strip()
    if exists != "1":
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE_NAME], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run(["redis-cli", "-n", REDIS_URL.rsplit("/", 1)[1], "FLUSHDB"], check=True, capture_output=True)


def cohort_csv(rows: int, tag: str) -> bytes:
    out = io.StringIO()
    out.write("email,name,evidence_url,issued_on\n")
    for n in range(rows):
        # One name in ten is not plain ASCII (Zoë, Siân): those emails are built the slower, usual way.
        name = f"Zoë Siân {n}" if n % 10 == 0 else f"Learner {n}"
        out.write(f"learner{n}.{tag}@example.org,{name},https://portfolio.example/{tag}/{n},2026-09-01\n")
    return out.getvalue().encode()


def worker_start(env: dict[str, str], concurrency: int, log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "badgeplatform", "worker", "--pool=prefork",
         f"--concurrency={concurrency}", "--loglevel=INFO", "--without-gossip", "--without-mingle",
         "--without-heartbeat", "-n", f"bench-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while "ready." not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    return proc


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (Linux ``/proc``): the worker and its pool."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total = 0.0
    for each in [pid, *map(int, children)]:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def backends_cpu(seen: dict[int, float]) -> dict[int, float]:
    """``seen`` updated with the CPU time of every PostgreSQL backend of the bench's database but this
    process's own. The worker's pool processes connect for each task (Celery's Django fix-up closes the
    connection after it), so a backend is gone once its task ends: sampled every few milliseconds while the
    job records, this misses only what a backend did after its last sample."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        pids = [pid for (pid,) in cursor.fetchall()]
    for pid in pids:
        try:
            seen[pid] = cpu_seconds(pid)
        except (FileNotFoundError, ProcessLookupError):  # ended meanwhile
            pass
    return seen


def line(name: str, seconds: float, count: int, goal: float) -> str:
    verdict = "ok" if seconds <= goal else "MISSED"
    return (f"{name:<34} {seconds:8.2f} s  {seconds / count * 1e6:9.0f} µs/row  {count / seconds:9.0f} rows/s"
            f"  goal <= {goal:g} s: {verdict}")


def table_bytes() -> dict[str, int]:
    """Every table's size with its indexes and TOAST (PostgreSQL), by name."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, pg_total_relation_size(oid) FROM pg_class "
                       "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")
        return dict(cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2, help="pool processes of the one worker")
    parser.add_argument("--webhook", action="store_true", help="register a webhook endpoint and time its events")
    parser.add_argument("--sink", choices=["lean", "aiosmtpd"], default="lean",
                        help="the SMTP sink in this process: our lean one (offers PIPELINING) or aiosmtpd (does not)")
    parser.add_argument("--compare", type=int, default=0, metavar="ROUNDS",
                        help="alternate runs without and with --webhook, ROUNDS of each, and print them side by side")
    args = parser.parse_args()

    # The tests' SMTP sinks (they count messages by X-Badge-Assertion), loaded on their own: the package
    # tests.support sets up Django models, which this process configures only later.
    spec = importlib.util.spec_from_file_location("bench_servers", ROOT / "tests" / "support" / "servers.py")
    assert spec is not None
    assert spec.loader is not None
    servers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(servers)
    SmtpSink = servers.LeanSmtpSink if args.sink == "lean" else servers.SmtpSink  # noqa: N806

    var_dir = Path(tempfile.mkdtemp(prefix="bench-issue-"))
    env = environment(var_dir, 0)
    os.environ.update(env)
    database_prepare(env)
    plan = [n % 2 == 1 for n in range(2 * args.compare)] if args.compare else [args.webhook]
    results: list[dict[str, float]] = []
    for n, webhook in enumerate(plan):  # a fresh sink and worker each run, as a single run has
        sink = SmtpSink().start()
        env["EMAIL_PORT"] = str(sink.port)
        worker = worker_start(env, args.concurrency, var_dir / f"worker-{n}.log")
        try:
            results.append(run(args.rows, args.concurrency, sink, worker.pid, webhook=webhook))
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
            sink.stop()
    if args.compare:
        side_by_side(results, args.rows)


NO_SLOWER = 1.10  # the pipeline with an endpoint within 10 % of without: the noise of one machine's runs


def side_by_side(results: list[dict[str, float]], count: int) -> None:
    """Runs without and with the endpoint, in the order they ran, then the medians and the goal line."""
    import statistics

    without = [r for r in results if not r["webhook"]]
    with_ = [r for r in results if r["webhook"]]
    print(f"\n{count} learners, alternated: all baked and emailed (s) | worker CPU (ms per award) | last event (s)")
    for n, (a, b) in enumerate(zip(without, with_, strict=True), 1):
        print(f"  round {n}: without {a['pipeline']:6.2f} s {a['cpu_ms']:5.2f} ms | "
              f"with {b['pipeline']:6.2f} s {b['cpu_ms']:5.2f} ms, last event {b['events']:6.2f} s "
              f"(load {a['load']:.1f} / {b['load']:.1f})")
    base, hooked = (statistics.median(r["pipeline"] for r in rs) for rs in (without, with_))
    cpu_base, cpu_hooked = (statistics.median(r["cpu_ms"] for r in rs) for rs in (without, with_))
    last = statistics.median(r["events"] for r in with_)
    verdict = "ok" if hooked <= base * NO_SLOWER else "MISSED"
    print(f"median: without {base:.2f} s ({cpu_base:.2f} ms CPU per award), with the endpoint {hooked:.2f} s "
          f"({cpu_hooked:.2f} ms), every event {last:.2f} s after recording started")
    print(f"goal: all baked and emailed no slower with the endpoint (<= {NO_SLOWER:g} x without): "
          f"{hooked / base:.2f} x: {verdict}")


def bench_badge(tag: str) -> tuple[Any, Any]:
    """A new college (slug ``bench-<tag>``) with one PNG badge class, as a tutor would make them."""
    from django.core.files.base import ContentFile
    from PIL import Image

    from badges.models import BadgeClass
    from issuers.scoping import tenant_scope
    from issuers.services import issuer_create, tenant_create

    tenant = tenant_create(slug=f"bench-{tag}", name="Bench College", admin_email=f"admin-{tag}@bench.example").tenant
    with tenant_scope(tenant):
        issuer = issuer_create(tenant=tenant, name="Bench College Construction", url="https://bench.example",
                               email="badges@bench.example")
        png = io.BytesIO()
        Image.new("RGBA", (256, 256), (29, 78, 216, 255)).save(png, "PNG")
        badge = BadgeClass(tenant=tenant, issuer=issuer, name="Safe Scaffolding",
                           description="Erects a scaffold tower to the TG20 guidance.")
        badge.image.save("bench.png", ContentFile(png.getvalue()), save=False)
        badge.save()
    return tenant, badge


def run(count: int, concurrency: int, sink: SmtpSink, worker_pid: int,  # noqa: F821 - imported in main
        *, webhook: bool = False) -> dict[str, float]:
    """One run; returns its figures (for ``--compare``)."""
    import resource

    import django

    django.setup()

    from assertions.bulk import bulk_job_create, bulk_job_start, bulk_preview, rows_from_csv
    from assertions.models import Assertion, BulkJob
    from issuers.scoping import tenant_scope

    tag = f"{int(time.time())}"
    tenant, badge = bench_badge(tag)
    with tenant_scope(tenant):
        data = cohort_csv(count, tag)
        receiver = webhook_receiver(tenant) if webhook else None

        started = time.perf_counter()
        preview = bulk_preview(badge_class=badge, rows=rows_from_csv(data))
        preview_s = time.perf_counter() - started
        assert not preview.problems, preview.problems[:3]
        assert len(preview.good) == count

        sizes_before = table_bytes()
        job, _ = bulk_job_create(badge_class=badge, preview=preview, filename="cohort.csv", issue_now=False)
        before = backends_cpu({})
        worker_cpu, own = cpu_seconds(worker_pid), resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        # As the tutor's "Issue" does: queued on commit, then the worker records it, a chunk per task, in
        # both pool processes, before it bakes and emails.
        bulk_job_start(job=job)
        seen = dict(before)
        while not BulkJob.objects.filter(pk=job.pk, status__in=["done", "failed"]).exists():
            backends_cpu(seen)
            time.sleep(0.005)
        record_s = time.perf_counter() - started
        record_cpu = cpu_seconds(worker_pid) - worker_cpu
        record_backend_cpu = sum(backends_cpu(seen).values()) - sum(before.values())
        job.refresh_from_db()
        assert job.issued == count, job.errors[:3]

        deadline = time.monotonic() + 300
        while len(sink.raw) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        pipeline_s = time.perf_counter() - started
        worker_cpu = cpu_seconds(worker_pid) - worker_cpu
        now = resource.getrusage(resource.RUSAGE_SELF)
        own_cpu = now.ru_utime + now.ru_stime - own.ru_utime - own.ru_stime
        if receiver is not None:  # every award issued, every email delivered, and the job finished
            while len(receiver.ids()) < 2 * count + 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            events_s = time.perf_counter() - started
        time.sleep(1)  # let the last status updates land before counting
        awards = Assertion.objects.filter(bulk_job=job)
        baked = awards.filter(bake_status=Assertion.BakeStatus.DONE).count()
        sent = awards.filter(mail__status="sent").count()
        growth = {name: size - sizes_before.get(name, 0) for name, size in table_bytes().items()}
    deliveries = sink.assertion_ids()

    print(f"\n{count} learners, PostgreSQL + Redis, one worker (prefork, concurrency {concurrency}), "
          f"SMTP sink: {sink.name}\n")
    print(line("CSV read, validated and previewed", preview_s, count, GOALS["preview"]))
    print(line("all awards recorded", record_s, count, GOALS["record"]))
    print(line("all baked and emailed", pipeline_s, count, GOALS["pipeline"]))
    print(f"\nCPU time over the last two steps: worker (all pool processes) {worker_cpu:.1f} s = "
          f"{worker_cpu / count * 1e3:.2f} ms per award; this process (SMTP sink, polling) {own_cpu:.1f} s")
    print(f"recording alone: worker {record_cpu:.2f} s of CPU ({record_cpu / count * 1e6:.0f} µs per award), "
          f"its PostgreSQL backends {record_backend_cpu:.2f} s ({record_backend_cpu / count * 1e6:.0f} µs per award), "
          f"load average {os.getloadavg()[0]:.1f}")
    grown = sorted(((size, name) for name, size in growth.items() if size > 0), reverse=True)
    print(f"database growth: {sum(size for size, _ in grown) / count:.0f} bytes per award ("
          + ", ".join(f"{name} {size / count:.0f}" for size, name in grown[:6]) + ")")
    print(f"baked {baked}/{count}, email sent {sent}/{count}, delivered {len(deliveries)} distinct, "
          f"most deliveries of one award: {max(deliveries.values(), default=0)}")
    if receiver is not None:
        ids = receiver.ids()
        print(f"webhook events: {len(ids)} of {2 * count + 1} (award.issued, award.email_delivered, bulk_job.finished) "
              f"verified with standardwebhooks, the last {events_s:.2f} s after recording started; "
              f"refused {len(receiver.refused())}, most deliveries of one id: {max(ids.values(), default=0)}")
        receiver.stop()
        if len(ids) < 2 * count + 1 or receiver.refused():
            raise SystemExit("not every webhook event arrived, verified")
    if len(deliveries) < count or baked < count or sent < count:
        raise SystemExit("not everything was baked and emailed")
    return {"webhook": float(webhook), "pipeline": pipeline_s, "cpu_ms": worker_cpu / count * 1e3,
            "events": events_s if receiver is not None else 0.0, "load": os.getloadavg()[0]}


def webhook_receiver(tenant):  # noqa: ANN001, ANN201 - Django models are imported after setup
    """The college's MIS: an endpoint for three events, pointing at the tests' receiver in this process."""
    from tests.support.webhooks import Receiver
    from webhooks.services import endpoint_create

    receiver = Receiver().start()
    _, receiver.secret = endpoint_create(tenant=tenant, url=receiver.url, events=[
        "award.issued", "award.email_delivered", "bulk_job.finished"])
    return receiver


if __name__ == "__main__":
    main()
