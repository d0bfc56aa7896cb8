"""A real worker with two pool processes records a bulk job's chunks at the same time: every row issued once,
the counts right, the job finished and announced once, and the recording done before the bakes."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest

from assertions.bulk import bulk_job_create, bulk_preview, rows_from_csv
from assertions.models import Assertion, BulkJob, BulkJobChunk
from issuers.scoping import tenant_scope
from tests.support.servers import wait_for

ROWS, CHUNK = 1200, 50
TASK_LINE = re.compile(r"^(\S+ \S+) INFO .* task (\S+) SUCCESS (\d+) ms$", re.MULTILINE)


def _cohort_csv(size: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "name"])
    writer.writerows([f"learner{n}@example.org", f"Learner {n}"] for n in range(size))
    return out.getvalue().encode()


def _runs(log: str, task: str) -> list[tuple[datetime, datetime]]:
    """(start, end) of each successful run of ``task``, from the worker's one line per task."""
    runs = []
    for stamp, name, ms in TASK_LINE.findall(log):
        if name == task:
            end = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f")
            runs.append((end - timedelta(milliseconds=int(ms)), end))
    return runs


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_both_pool_processes_record_a_jobs_chunks_at_once_each_row_once_and_finish_it_once(
        tenant_a, badge, start_worker):
    worker = start_worker(env={"BULK_CHUNK_SIZE": str(CHUNK)}, concurrency=2)
    with tenant_scope(tenant_a):
        preview = bulk_preview(badge_class=badge, rows=rows_from_csv(_cohort_csv(ROWS)))
        job, _ = bulk_job_create(badge_class=badge, preview=preview, filename="cohort.csv", notify=False)

    def finished() -> bool:
        with tenant_scope(tenant_a):
            return BulkJob.objects.filter(pk=job.pk, status=BulkJob.Status.DONE).exists()

    wait_for(finished, timeout=120, interval=0.1, alive=worker.assert_alive, message="the job did not finish")
    with tenant_scope(tenant_a):
        job.refresh_from_db()
        awards = Assertion.objects.filter(bulk_job=job)
        assert awards.count() == ROWS
        assert awards.values("recipient_identity").distinct().count() == ROWS
        assert sorted(BulkJobChunk.objects.filter(job=job).values_list("number", flat=True)) == list(
            range(ROWS // CHUNK))
    assert (job.issued, job.failed, job.cursor, job.errors, job.chunk_size) == (ROWS, 0, ROWS, [], CHUNK)

    wait_for(lambda: _runs(worker.log_path.read_text(errors="replace"), "webhooks.tasks.bulk_job_finished"), timeout=60,
             alive=worker.assert_alive, message="the job's end was not announced")
    log = worker.log_path.read_text(errors="replace")
    assert len(_runs(log, "webhooks.tasks.bulk_job_finished")) == 1
    chunks = sorted(_runs(log, "assertions.tasks.record_bulk_chunk"))
    assert len(chunks) == ROWS // CHUNK
    overlapping = sum(1 for (_, end), (start, _) in zip(chunks, chunks[1:], strict=False) if start < end)
    assert overlapping, "no two chunks were recorded at the same time"
