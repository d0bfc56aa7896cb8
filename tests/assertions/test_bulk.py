"""Cohort awards: reading the MIS file, the row-by-row preview, and the resumable bulk job."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from assertions.bulk import (
    bulk_chunk_record,
    bulk_job_chunks,
    bulk_job_create,
    bulk_job_run,
    bulk_preview,
    problems_table,
    rows_from_csv,
    rows_from_json,
    rows_from_lines,
)
from assertions.models import Assertion, BulkJob, BulkJobChunk
from assertions.services import Recipient, assertion_issue
from badges.models import BadgeClass
from issuers.csvexport import csv_bytes
from issuers.dates import public_timestamp
from issuers.models import AuditEntry
from issuers.scoping import tenant_scope
from tests.support import issue_one, png_bytes


@pytest.fixture
def badge(tenant_a, issuer_a):
    with tenant_scope(tenant_a):
        b = BadgeClass(tenant=tenant_a, issuer=issuer_a, name="Food Hygiene", description="Level 2.")
        b.image.save("b.png", ContentFile(png_bytes()), save=False)
        b.save()
    return b


CSV = (
    "Email,Full Name,evidence_url,issued_on,expires\n"
    "ann@example.org,Ann Lee,https://portfolio.example/ann,2026-09-01,\n"
    "not-an-email,Bad Row,,,\n"
    "ben@example.org,Ben Ode,,31/08/2026,\n"
    "ANN@example.org,Ann Again,,,\n"
    "cat@example.org,Cat Ray,,2026-13-40,\n"
    "dan@example.org,Dan Fox,,,2020-01-01\n"
    "\n"
    "eve@example.org,Eve Oak,javascript:alert(1),,\n"
)


def test_csv_preview_names_every_problem_by_its_line_in_the_file(tenant_a, badge):
    rows = rows_from_csv(CSV.encode())
    with tenant_scope(tenant_a):
        preview = bulk_preview(badge_class=badge, rows=rows)
    assert [r.email for r in preview.good] == ["ann@example.org", "ben@example.org"]
    problems = {p.row: p.error for p in preview.problems}
    assert set(problems) == {3, 5, 6, 7, 9}
    assert "not a valid email" in problems[3]
    assert "already on line 2" in problems[5]
    assert "not a date" in problems[6]
    assert "expiry date must be after" in problems[7]
    assert "not a web link" in problems[9]


def test_learner_who_already_holds_the_badge_is_a_problem_not_a_second_award(tenant_a, badge):
    with tenant_scope(tenant_a):
        issue_one(badge_class=badge, recipient_identity="ann@example.org")
        preview = bulk_preview(badge_class=badge, rows=rows_from_lines("ann@example.org\nben@example.org"))
    assert [r.email for r in preview.good] == ["ben@example.org"]
    assert preview.problems[0].error == "Already holds Food Hygiene."


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"name,course\nAnn,Bakery\n", "no 'email' column"),
    (b"email\n", "no learners"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe\x00garbage\xff", "no 'email' column"),
])
def test_unreadable_files_get_a_clear_message(data, message):
    with pytest.raises(ValidationError) as exc:
        rows_from_csv(data)
    assert message in " ".join(exc.value.messages)


def test_too_many_rows_are_refused(settings):
    settings.BULK_MAX_ROWS = 3
    data = "email\n" + "".join(f"l{i}@example.org\n" for i in range(4))
    with pytest.raises(ValidationError, match="more than 3"):
        rows_from_csv(data.encode())


def test_excel_cp1252_and_semicolon_files_are_read():
    data = "email;name\nzoe@example.org;Zoë Brontë\n".encode("cp1252")
    (row,) = rows_from_csv(data)
    assert (row.email, row.name, row.row) == ("zoe@example.org", "Zoë Brontë", 2)


def test_pasted_lines_accept_names_in_either_form():
    rows = rows_from_lines(
        "a@example.org\nAnn Lee <ann@example.org>\nben@example.org, Ben Ode\n\nCat Ray, cat@example.org")
    assert [(r.row, r.email, r.name) for r in rows] == [
        (1, "a@example.org", ""), (2, "ann@example.org", "Ann Lee"), (3, "ben@example.org", "Ben Ode"),
        (5, "cat@example.org", "Cat Ray"),
    ]


def test_json_rows_are_numbered_as_if_the_first_line_were_a_header():
    rows = rows_from_json([{"email": "a@example.org"}, {"email": "b@example.org", "name": 7}])
    assert [(r.row, r.name) for r in rows] == [(2, ""), (3, "7")]
    with pytest.raises(ValidationError):
        rows_from_json({"email": "a@example.org"})


def _bad_rows_file(errors) -> list[list[str]]:
    return list(csv.reader(io.StringIO(csv_bytes(*problems_table(errors)).decode("utf-8-sig"))))


def test_bad_rows_download_defuses_spreadsheet_formulas_in_every_column(tenant_a, badge, alice):
    data = (b'email,name,student id,notes\n'
            b'=HYPERLINK("http://evil"),x,+44 123,-2+3\n'
            b'ok@example.org,@SUM(A1),"\tcmd","a;b,c"\n'
            b'ann@example.org,Ann,1,\n')
    with tenant_scope(tenant_a):
        issue_one(badge_class=badge, recipient_identity="ok@example.org")
        preview = bulk_preview(badge_class=badge, rows=rows_from_csv(data))
        job, _ = bulk_job_create(badge_class=badge, preview=preview, actor=alice, issue_now=False)
    raw = csv_bytes(*problems_table(job.errors)).decode("utf-8-sig")
    assert "\n=" not in raw
    assert ",=" not in raw
    assert '"=' not in raw
    lines = _bad_rows_file(job.errors)
    assert lines[0] == ["email", "name", "student id", "notes", "problem", "line"]
    assert lines[1][:4] == ["'=HYPERLINK(\"http://evil\")", "x", "'+44 123", "'-2+3"]
    assert lines[2][:4] == ["ok@example.org", "'@SUM(A1)", "'\tcmd", "a;b,c"]
    assert '"a;b,c"' in raw  # quoted: a semicolon-separated spreadsheet cannot split it
    assert lines[1][5] == "2"
    assert lines[2][4].startswith("Already holds")


def test_the_fixed_bad_rows_file_can_be_uploaded_again(tenant_a, badge, alice):
    data = b"Student ID;E-mail;Full Name;Tutor\n1001;not-an-email;Ann Lee;=Mr Smith\n1002;ben@example.org;Ben;\n"
    with tenant_scope(tenant_a):
        preview = bulk_preview(badge_class=badge, rows=rows_from_csv(data))
        job, _ = bulk_job_create(badge_class=badge, preview=preview, actor=alice, issue_now=False)
    lines = _bad_rows_file(job.errors)
    assert lines[0] == ["Student ID", "E-mail", "Full Name", "Tutor", "problem", "line"]
    assert lines[1][:4] == ["1001", "not-an-email", "Ann Lee", "'=Mr Smith"]
    lines[1][1] = "ann@example.org"  # the tutor fixes the address in the spreadsheet
    out = io.StringIO()
    csv.writer(out).writerows(lines)
    (row,) = rows_from_csv(out.getvalue().encode())
    assert (row.email, row.name) == ("ann@example.org", "Ann Lee")
    assert ["Tutor", "=Mr Smith"] in row.cells  # our apostrophe is taken off again on the way in
    with tenant_scope(tenant_a):
        assert bulk_preview(badge_class=badge, rows=[row]).good == [row]


def test_rows_that_fail_when_the_job_runs_keep_their_columns_too(tenant_a, badge, alice):
    data = b"email,name,cohort\nann@example.org,Ann,2026A\n"
    with tenant_scope(tenant_a):
        job, _ = bulk_job_create(badge_class=badge, preview=bulk_preview(badge_class=badge, rows=rows_from_csv(data)),
                                 actor=alice, issue_now=False)
        issue_one(badge_class=badge, recipient_identity="ann@example.org")  # awarded by hand meanwhile
        job.status = BulkJob.Status.QUEUED
        job.save()
        job = bulk_job_run(job=job)
    assert _bad_rows_file(job.errors)[1][:3] == ["ann@example.org", "Ann", "2026A"]


def test_the_same_file_twice_is_one_job_and_issues_once(tenant_a, badge, alice):
    rows = rows_from_csv(CSV.encode())
    with tenant_scope(tenant_a):
        preview = bulk_preview(badge_class=badge, rows=rows)
        job, created = bulk_job_create(badge_class=badge, preview=preview, actor=alice, issue_now=False)
        again, created_again = bulk_job_create(badge_class=badge, preview=bulk_preview(badge_class=badge, rows=rows),
                                               actor=alice, issue_now=False)
        assert created
        assert not created_again
        assert again.pk == job.pk
        bulk_job_run(job=job)
        bulk_job_run(job=job)
        job.refresh_from_db()
        assert (job.status, job.total, job.issued, job.failed) == ("done", 7, 2, 5)
        assert sorted(e["row"] for e in job.errors) == [3, 5, 6, 7, 9]
        assert Assertion.objects.filter(bulk_job=job).count() == 2
        ann = Assertion.objects.get(recipient_identity="ann@example.org")
        assert ann.evidence == [{"id": "https://portfolio.example/ann"}]
        assert public_timestamp(ann.issued_on) == "2026-08-31T23:00:00Z"  # midnight in London (summer time)


def _ten_row_job(tenant, badge, settings):
    settings.BULK_CHUNK_SIZE = 4
    rows = rows_from_lines("\n".join(f"l{i}@example.org" for i in range(10)))
    with tenant_scope(tenant):
        job, _ = bulk_job_create(badge_class=badge, preview=bulk_preview(badge_class=badge, rows=rows),
                                 issue_now=False)
    return job


def test_a_job_is_split_once_into_chunks_that_any_process_may_record_in_any_order(tenant_a, badge, settings):
    job = _ten_row_job(tenant_a, badge, settings)
    with tenant_scope(tenant_a):
        assert bulk_job_chunks(job=job) == [0, 1, 2]
        settings.BULK_CHUNK_SIZE = 3  # changed meanwhile: the job keeps the size it started with
        assert bulk_chunk_record(job_id=job.pk, number=2)
        assert bulk_job_chunks(job=job) == [0, 1]
        assert bulk_chunk_record(job_id=job.pk, number=0)
        job.refresh_from_db()
        assert (job.status, job.chunk_size, job.cursor, job.issued) == ("running", 4, 6, 6)
        assert sorted(Assertion.objects.values_list("recipient_identity", flat=True)) == [
            f"l{i}@example.org" for i in (0, 1, 2, 3, 8, 9)]
        assert bulk_chunk_record(job_id=job.pk, number=1)  # the last: it finishes the job
        job.refresh_from_db()
        assert (job.status, job.cursor, job.issued, job.failed) == ("done", 10, 10, 0)
        assert job.finished_at is not None
        assert bulk_job_chunks(job=job) == []


def test_a_chunk_whose_task_runs_twice_is_recorded_once(tenant_a, badge, settings):
    job = _ten_row_job(tenant_a, badge, settings)
    with tenant_scope(tenant_a):
        bulk_job_chunks(job=job)
        assert bulk_chunk_record(job_id=job.pk, number=1)
        assert not bulk_chunk_record(job_id=job.pk, number=1)
        job.refresh_from_db()
        assert (job.cursor, job.issued) == (4, 4)
        assert Assertion.objects.filter(bulk_job=job).count() == 4
        assert list(BulkJobChunk.objects.filter(job=job).values_list("number", flat=True)) == [1]


def test_a_chunk_that_fails_leaves_no_marker_and_is_recorded_when_run_again(tenant_a, badge, settings):
    job = _ten_row_job(tenant_a, badge, settings)
    with tenant_scope(tenant_a):
        bulk_job_chunks(job=job)
        BulkJob.objects.filter(pk=job.pk).update(options={"verification_type": "no such type"})
        with pytest.raises(ValidationError):
            bulk_chunk_record(job_id=job.pk, number=0)
        assert not BulkJobChunk.objects.exists()  # rolled back with the awards: nothing half done
        BulkJob.objects.filter(pk=job.pk).update(options={})
        bulk_job_run(job=job)
        job.refresh_from_db()
        assert (job.status, job.issued) == ("done", 10)
        assert Assertion.objects.filter(bulk_job=job).count() == 10


def test_a_job_begun_before_chunks_existed_resumes_from_its_cursor_without_issuing_twice(tenant_a, badge, settings):
    job = _ten_row_job(tenant_a, badge, settings)
    with tenant_scope(tenant_a):
        # As a worker of the one-process code left it, killed after its first chunk: rows[:cursor] done.
        assertion_issue(badge_class=badge, recipients=[Recipient(identity=r["email"]) for r in job.rows[:4]],
                         bulk_job=job)
        BulkJob.objects.filter(pk=job.pk).update(cursor=4, issued=4, status="running")
        bulk_job_run(job=job)
        job.refresh_from_db()
        assert (job.status, job.issued, job.failed) == ("done", 10, 0)
        assert Assertion.objects.filter(badge_class=badge).count() == 10


def test_a_batch_is_all_or_nothing_and_names_the_bad_row(tenant_a, badge):
    with tenant_scope(tenant_a):
        with pytest.raises(ValidationError) as exc:
            assertion_issue(badge_class=badge, recipients=[Recipient(identity="ok@example.org", row=2),
                                                            Recipient(identity="nope", row=3)])
        assert "Row 3" in exc.value.messages[0]
        assert not Assertion.objects.exists()


def test_a_batch_audits_every_award(tenant_a, badge, alice):
    with tenant_scope(tenant_a):
        made = assertion_issue(badge_class=badge, actor=alice,
                                recipients=[Recipient(identity=f"x{i}@example.org") for i in range(5)])
        (entry,) = AuditEntry.objects.filter(action="assertion.issue")  # one entry naming the whole batch
        assert set(entry.data["assertions"]) == {str(a.public_id) for a in made}
        assert entry.actor_label == alice.email
        assert entry.summary == "Food Hygiene awarded to 5 learners"


def test_a_retired_badge_cannot_be_awarded_in_bulk(tenant_a, badge):
    from badges.services import badge_class_retire

    rows = rows_from_lines("a@example.org")
    with tenant_scope(tenant_a):
        job, _ = bulk_job_create(badge_class=badge, preview=bulk_preview(badge_class=badge, rows=rows),
                                 issue_now=False)
        badge_class_retire(badge_class=badge)
        bulk_job_run(job=job)
        job.refresh_from_db()
        assert job.status == "failed"
        assert "retired" in job.errors[-1]["error"]
        assert not Assertion.objects.exists()


def test_a_queued_job_of_a_college_suspended_meanwhile_stops_with_the_reason(tenant_a, badge, alice):
    from issuers.models import Tenant
    from issuers.services import tenant_set_status

    with tenant_scope(tenant_a):
        job, _ = bulk_job_create(badge_class=badge, preview=bulk_preview(
            badge_class=badge, rows=rows_from_lines("ann@example.org")), actor=alice, issue_now=False)
        job.status = BulkJob.Status.QUEUED
        job.save()
        tenant_set_status(tenant=tenant_a, status=Tenant.Status.SUSPENDED)
        job = bulk_job_run(job=job)
        assert job.status == BulkJob.Status.FAILED
        assert "College A is suspended" in job.errors[-1]["error"]
        assert not Assertion.objects.exists()


def test_the_revocation_service_refuses_a_suspended_college(tenant_a, badge):
    from django.core.exceptions import PermissionDenied

    from assertions.services import assertion_revoke
    from issuers.models import Tenant
    from issuers.services import tenant_set_status

    with tenant_scope(tenant_a):
        award = issue_one(badge_class=badge, recipient_identity="ann@example.org")
        tenant_set_status(tenant=tenant_a, status=Tenant.Status.SUSPENDED)
        award.tenant.refresh_from_db()
        with pytest.raises(PermissionDenied, match="suspended"):
            assertion_revoke(assertion=award, reason="Task")
        award.refresh_from_db()
        assert not award.revoked


def test_a_jobs_fingerprint_is_the_hash_of_its_canonical_json_as_before(badge_a):
    """Hashed row by row, the fingerprint is the one earlier jobs were given, so a file sent again still
    finds its job."""
    import hashlib
    import json
    from dataclasses import asdict

    from assertions.bulk import Row, _fingerprint

    rows = [Row(row=2, email="a@example.org", name="Zoë", cells=[["email", "a@example.org"]]),
            Row(row=3, email="b@example.org", issued_on="2026-09-01")]
    options = {"notify": True, "verification_type": None}
    for some in (rows, rows[:1], []):
        awards = [{k: v for k, v in asdict(r).items() if k != "cells"} for r in some]
        canonical = json.dumps([str(badge_a.public_id), options, awards], sort_keys=True)
        assert _fingerprint(badge_a, some, options) == hashlib.sha256(canonical.encode()).hexdigest()
