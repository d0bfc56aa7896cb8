"""CPU time per award of the worker's code path (bake OB 2.0, make, sign and bake OB 3.0, email), in
this process, so it can be compared before and after a change on a busy machine.

It records ``--awards`` awards of one badge class (PNG, or ``--svg``) through the bulk path, then runs
what ``assertions.tasks.process_assertions`` does for them, ``PIPELINE_BATCH_SIZE`` at a time: the
bake (``bake_pending``, which also runs the OB 3.0 bake of ``credentials``) and the send
(``emails_send`` to an SMTP sink in another process, so the sink's CPU is not counted). It prints
``time.process_time`` per award of each step (all threads of this process: the SMTP connections'
too), then, with ``--profile``, the functions that took the most under cProfile (which inflates
everything, so read its figures as shares).

Usage: ``.venv/bin/python bench/worker_cpu.py [--awards 1000] [--svg] [--profile] [--sink lean|aiosmtpd]``
(``lean``, the default since 4 Dec: the tests' ``LeanSmtpSink``, which offers PIPELINING). With
``PROFILE_OUT=<file>`` set, ``--profile`` also writes the profile there, for ``pstats``' callers and callees.
Needs PostgreSQL and Redis on 127.0.0.1; ``DATABASE_URL`` (default ``bench_worker``, created and migrated) and
``REDIS_URL`` (default database 11, flushed: the recorded awards' tasks are queued there, never run).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_worker")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/11")

SINK = """
import importlib.util, sys, time
spec = importlib.util.spec_from_file_location("servers", sys.argv[1])
servers = importlib.util.module_from_spec(spec); spec.loader.exec_module(servers)
sink = getattr(servers, sys.argv[3])(port=int(sys.argv[2])).start()
print("ready", flush=True)
sys.stdin.read()
print(len(sink.raw), flush=True)
"""


def _servers():  # noqa: ANN202 - a module loaded from a path
    spec = importlib.util.spec_from_file_location("bench_servers", ROOT / "tests" / "support" / "servers.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--awards", type=int, default=1000)
    parser.add_argument("--svg", action="store_true", help="an SVG badge image instead of a PNG")
    parser.add_argument("--profile", action="store_true", help="also run the steps under cProfile")
    parser.add_argument("--sink", choices=["lean", "aiosmtpd"], default="lean",
                        help="the SMTP sink (another process): ours, offering PIPELINING, or aiosmtpd, which does not")
    args = parser.parse_args()

    bench_issue = importlib.util.spec_from_file_location("bench_issue_bulk", ROOT / "bench" / "issue_bulk.py")
    assert bench_issue is not None
    assert bench_issue.loader is not None
    issue_bulk = importlib.util.module_from_spec(bench_issue)
    bench_issue.loader.exec_module(issue_bulk)

    port = _servers().free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(ROOT / "tests" / "support" / "servers.py"), str(port),
                             "LeanSmtpSink" if args.sink == "lean" else "SmtpSink"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert sink.stdout is not None
    assert sink.stdin is not None
    if sink.stdout.readline().strip() != "ready":
        raise SystemExit("the SMTP sink did not start")
    env = issue_bulk.environment(Path(tempfile.mkdtemp(prefix="bench-worker-")), port)
    os.environ.update(env)
    issue_bulk.database_prepare(env)
    print(f"SMTP sink: {'lean (PIPELINING)' if args.sink == 'lean' else 'aiosmtpd'}, in another process")
    try:
        run(args.awards, svg=args.svg, profile=args.profile)
    finally:
        sink.stdin.close()
        print(f"sink received {sink.stdout.readline().strip()} messages")
        sink.wait(timeout=30)


def run(count: int, *, svg: bool, profile: bool) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.files.base import ContentFile
    from PIL import Image

    from assertions.bulk import bulk_job_create, bulk_job_run, bulk_preview, rows_from_csv
    from assertions.models import Assertion
    from assertions.pipeline import bake_pending
    from badges.models import BadgeClass
    from issuers.models import OutboxEmail
    from issuers.outbox import emails_send
    from issuers.scoping import tenant_scope
    from issuers.services import issuer_create, tenant_create

    tag = f"{int(time.time())}"
    tenant = tenant_create(slug=f"cpu-{tag}", name="Bench College", admin_email=f"admin-{tag}@bench.example").tenant
    with tenant_scope(tenant):
        issuer = issuer_create(tenant=tenant, name="Bench College Construction", url="https://bench.example",
                               email="badges@bench.example")
        badge = BadgeClass(tenant=tenant, issuer=issuer, name="Safe Scaffolding",
                           description="Erects a scaffold tower to the TG20 guidance.")
        if svg:
            image = (b'<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">'
                     b'<circle cx="128" cy="128" r="120" fill="#1d4ed8"/></svg>')
            badge.image_type = "svg"
            badge.image.save("bench.svg", ContentFile(image), save=False)
        else:
            png = io.BytesIO()
            Image.new("RGBA", (256, 256), (29, 78, 216, 255)).save(png, "PNG")
            badge.image.save("bench.png", ContentFile(png.getvalue()), save=False)
        badge.save()
        data = _csv(count, tag)
        preview = bulk_preview(badge_class=badge, rows=rows_from_csv(data))
        job, _ = bulk_job_create(badge_class=badge, preview=preview, filename="cohort.csv", issue_now=False)
        job = bulk_job_run(job=job)
        ids = list(Assertion.objects.filter(bulk_job=job).order_by("pk").values_list("pk", flat=True))
        size = settings.PIPELINE_BATCH_SIZE
        batches = [ids[start:start + size] for start in range(0, len(ids), size)]
        half = len(batches) // 2 if profile else len(batches)
        bake_s = send_s = 0.0
        each: list[tuple[float, float]] = []  # (bake, email) ms per award of each batch
        for batch in batches[:half]:
            started = time.process_time()
            bake_pending(batch)
            baked = time.process_time()
            _send(batch, Assertion, OutboxEmail, emails_send)
            bake_s += baked - started
            send_s += time.process_time() - baked
            each.append(((baked - started) / len(batch) * 1e3, (time.process_time() - baked) / len(batch) * 1e3))
        measured = sum(len(b) for b in batches[:half])
        bake_ms, send_ms = bake_s / measured * 1e3, send_s / measured * 1e3
        print(f"\n{measured} awards ({'SVG' if svg else 'PNG'} badge), batches of {size}, CPU of this process "
              f"per award: bake (OB 2.0 + OB 3.0) {bake_ms:.3f} ms, email {send_ms:.3f} ms, "
              f"total {bake_ms + send_ms:.3f} ms")
        # On a shared machine the least disturbed batch says most: the minimum and median of the batches.
        columns = {"bake": sorted(b for b, _ in each), "email": sorted(e for _, e in each),
                   "total": sorted(b + e for b, e in each)}
        print("per batch, min / median ms per award: " + ", ".join(
            f"{name} {values[0]:.3f} / {values[len(values) // 2]:.3f}" for name, values in columns.items()))
        if profile:
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            for batch in batches[half:]:
                bake_pending(batch)
                _send(batch, Assertion, OutboxEmail, emails_send)
            profiler.disable()
            if os.environ.get("PROFILE_OUT"):  # for pstats' callers and callees
                profiler.dump_stats(os.environ["PROFILE_OUT"])
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(70)
            stats.sort_stats("tottime").print_stats(40)
            print(out.getvalue())
        done = Assertion.objects.filter(bulk_job=job, bake_status=Assertion.BakeStatus.DONE).count()
        ob3 = Assertion.objects.filter(bulk_job=job).exclude(credential__baked_image="").count()
        print(f"baked {done}/{len(ids)}, OB 3.0 images {ob3}/{len(ids)}")
        if done < len(ids) or ob3 < len(ids):
            raise SystemExit("not every award was baked, in both forms")


def _csv(count: int, tag: str) -> bytes:
    out = io.StringIO()
    out.write("email,name,evidence_url,issued_on\n")
    for n in range(count):
        name = f"Zoë Siân {n}" if n % 10 == 0 else f"Learner {n}"
        out.write(f"learner{n}.{tag}@example.org,{name},https://portfolio.example/{tag}/{n},2026-09-01\n")
    return out.getvalue().encode()


def _send(batch, Assertion, OutboxEmail, emails_send) -> None:  # noqa: ANN001, N803 - as process_assertions does
    mails = list(Assertion.objects.filter(pk__in=batch, revoked=False, mail__status=OutboxEmail.Status.QUEUED)
                 .exclude(bake_status=Assertion.BakeStatus.PENDING).order_by("pk").values_list("mail_id", flat=True))
    emails_send([str(pk) for pk in mails], check_ready=False)


if __name__ == "__main__":
    main()
