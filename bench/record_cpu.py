"""CPU of recording a cohort (``bulk_job_run``), in this process and in its PostgreSQL backend (issue 19).

No worker: the follow-up messages wait in Redis (its database is flushed first). Each round makes a new
tenant, previews and stores an N-row job, then times ``bulk_job_run`` with ``time.process_time`` and reads
the backend's user + system time from ``/proc/<pid>/stat`` (PostgreSQL on this machine).
``--profile`` prints cProfile's top functions of the last round.

Usage: ``DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/record_cpu.py [--rows 10000] [--rounds 3] [--profile]``
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import issue_bulk  # noqa: E402


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    env = issue_bulk.environment(Path(tempfile.mkdtemp(prefix="bench-record-")), 0)
    os.environ.update(env)
    issue_bulk.database_prepare(env)

    import django

    django.setup()
    from django.db import connection

    from assertions.bulk import bulk_job_create, bulk_job_run, bulk_preview, rows_from_csv
    from issuers.scoping import tenant_scope

    own, backend, wall = [], [], []
    for n in range(args.rounds):
        tag = f"{int(time.time())}{n}"
        tenant, badge = issue_bulk.bench_badge(tag)
        with tenant_scope(tenant):
            preview = bulk_preview(badge_class=badge, rows=rows_from_csv(issue_bulk.cohort_csv(args.rows, tag)))
            job, _ = bulk_job_create(badge_class=badge, preview=preview, filename="cohort.csv", issue_now=False)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            profiler = cProfile.Profile(time.process_time) if args.profile and n == args.rounds - 1 else None
            b0, c0, w0 = backend_cpu(pid), time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            job = bulk_job_run(job=job)
            if profiler:
                profiler.disable()
            c1, w1, b1 = time.process_time(), time.perf_counter(), backend_cpu(pid)
            assert job.issued == args.rows, job.errors[:3]
            own.append((c1 - c0) / args.rows * 1e6)
            backend.append((b1 - b0) / args.rows * 1e6)
            wall.append(w1 - w0)
            print(f"round {n + 1}: {wall[-1]:.2f} s, this process {own[-1]:.0f} µs per award, "
                  f"PostgreSQL backend {backend[-1]:.0f} µs per award, load {os.getloadavg()[0]:.1f}")
    print(f"median of {args.rounds}: {statistics.median(wall):.2f} s, process {statistics.median(own):.0f} µs, "
          f"backend {statistics.median(backend):.0f} µs per award")
    if args.profile and profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
