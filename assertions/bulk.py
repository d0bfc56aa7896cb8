"""Cohort awards: read a CSV from the college MIS (or pasted emails, or API rows), validate every row,
preview the problems, then issue the good rows in the background through ``assertion_issue``.

Row numbers are line numbers in the file, header included, so a tutor can find them in Excel.
The files are untrusted: size and row count are bounded, and the "bad rows" download (written by
``issuers.csvexport``, like every CSV) escapes cells that a spreadsheet would run as formulas. It keeps
every column the tutor uploaded, so the fixed file can be uploaded again.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from typing import Any

import psycopg
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from assertions.models import BulkJob, BulkJobChunk
from assertions.queue import bulk_job_queue
from assertions.services import (
    Recipient,
    RecipientProblem,
    announce,
    assertion_issue,
    badge_class_require_awardable,
    recipients_check,
)
from badges.models import BadgeClass
from issuers.context import Actor, ActorLike, acting
from issuers.csvexport import csv_cell_read

MAX_FILE_BYTES = 5 * 1024 * 1024
_HOLDS = "Already holds"
_OURS = {"problem", "line"}  # the columns the bad-rows download adds: dropped when it comes back
COLUMNS = ("email", "name", "evidence_url", "evidence_narrative", "narrative", "issued_on", "expires")
_ALIASES = {
    "e-mail": "email", "email address": "email", "e-mail address": "email", "learner email": "email",
    "student email": "email", "full name": "name", "learner name": "name", "student name": "name",
    "learner": "name", "evidence": "evidence_url", "issue date": "issued_on", "issued": "issued_on",
    "date": "issued_on", "expiry": "expires", "expiry date": "expires", "expires on": "expires",
}


@dataclass(slots=True)  # a 10,000-row upload holds 10,000 of these
class Row:
    row: int
    email: str
    name: str = ""
    evidence_url: str = ""
    evidence_narrative: str = ""
    narrative: str = ""
    issued_on: str = ""
    expires: str = ""
    # Every cell of the uploaded line, as [column heading, value] pairs in the file's order (a list, not a
    # dict: PostgreSQL's jsonb does not keep key order). Only for the bad-rows download; empty for
    # pasted and API rows.
    cells: list[list[str]] = field(default_factory=list)


@dataclass(slots=True)
class Problem:
    row: int
    email: str
    error: str
    values: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "email": self.email, "error": self.error, "cells": self.values.get("cells", [])}


@dataclass
class Preview:
    good: list[Row]
    problems: list[Problem]

    @property
    def total(self) -> int:
        return len(self.good) + len(self.problems)


def _decode(data: bytes) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    for encoding in ("utf-8-sig", "cp1252"):  # Excel on Windows still saves CSV as cp1252
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError("The file is not text: save it from your spreadsheet as CSV.")


def _column(name: str) -> str:
    key = " ".join(name.strip().lower().replace("_", " ").split())
    key = _ALIASES.get(key, key).replace(" ", "_")
    return key


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text``, each with its ``\n``, as ``io.StringIO(text)`` gives them, without its copy of
    the whole file (four bytes a character once one is not Latin-1)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def rows_from_csv(data: bytes) -> list[Row]:
    text = _decode(data)
    del data  # the caller's bytes may stay alive, but not through this frame
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(_lines(text), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationError("The file is empty.") from None
    except csv.Error as exc:
        raise ValidationError(f"The file is not a readable CSV: {exc}.") from None
    headings = [h.strip() or f"column {i}" for i, h in enumerate(header, start=1)]
    columns = [_column(h) for h in header]
    if "email" not in columns:
        found = ", ".join(h.strip() for h in header if h.strip()) or "none"
        raise ValidationError(f"The file has no 'email' column (columns found: {found}). The first line must name "
                              f"the columns: {', '.join(COLUMNS)}.")
    rows: list[Row] = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= settings.BULK_MAX_ROWS:
                raise ValidationError(f"The file has more than {settings.BULK_MAX_ROWS} learners: split it.")
            values = [csv_cell_read(v) for v in values]
            record = {c: v.strip() for c, v in zip(columns, values, strict=False) if c in COLUMNS}
            cells = [[h, v] for h, v in zip(headings, values, strict=False) if h.lower() not in _OURS]
            rows.append(Row(row=reader.line_num, **{"email": "", **record}, cells=cells))
    except csv.Error as exc:
        raise ValidationError(f"Line {reader.line_num} of the file cannot be read: {exc}.") from None
    if not rows:
        raise ValidationError("The file has a header but no learners.")
    return rows


def rows_from_lines(text: str) -> list[Row]:
    """Pasted emails, one per line; "Name <email>" or "email, name" also work."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        name, email = "", line
        if "<" in line and line.endswith(">"):
            name, email = line[:-1].split("<", 1)
        elif "," in line or "\t" in line:
            first, second = [p.strip() for p in line.replace("\t", ",").split(",", 1)]
            email, name = (first, second) if "@" in first else (second, first)
        rows.append(Row(row=number, email=email.strip(), name=name.strip().strip('"')))
        if len(rows) > settings.BULK_MAX_ROWS:
            raise ValidationError(f"More than {settings.BULK_MAX_ROWS} learners: split the list.")
    if not rows:
        raise ValidationError("Paste at least one email address.")
    return rows


def rows_from_json(items: Any) -> list[Row]:
    if not isinstance(items, list) or not items:
        raise ValidationError("'rows' must be a non-empty list of objects with at least 'email'.")
    if len(items) > settings.BULK_MAX_ROWS:
        raise ValidationError(f"More than {settings.BULK_MAX_ROWS} rows: split them.")
    rows = []
    for number, item in enumerate(items, start=2):  # as if line 1 were a header, like a CSV
        if not isinstance(item, dict):
            raise ValidationError(f"Row {number}: each row must be an object.")
        record: dict[str, Any] = {k: ("" if item.get(k) is None else str(item.get(k))).strip() for k in COLUMNS}
        rows.append(Row(row=number, **record))
    return rows


def _parse_date(value: str) -> date | None:
    if not value:
        return None
    if len(value) == 10 and value[4] == value[7] == "-":  # 2026-09-30, most files: what %Y-%m-%d reads, 30x faster
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        raise ValidationError(f"{value!r} is not a date: use 2026-09-30 or 30/09/2026.") from None


def _recipient(row: Row) -> Recipient:
    issued_day = _parse_date(row.issued_on)
    expires_day = _parse_date(row.expires)
    evidence = ({"id": row.evidence_url, "narrative": row.evidence_narrative},) if (
        row.evidence_url or row.evidence_narrative) else ()
    return Recipient(
        identity=row.email, name=row.name, row=row.row, narrative=row.narrative, evidence=evidence,
        issued_on=issued_day, expires=expires_day,
    )


def bulk_preview(*, badge_class: BadgeClass, rows: list[Row], allow_duplicate: bool = False) -> Preview:
    """Every problem, row by row, before anything is issued: bad email, bad date, and (unless
    ``allow_duplicate``) a duplicate row or a learner who already holds this badge, by the issuing
    service's rules. One database query for the whole file."""
    problems: list[Problem] = []
    recipients: list[Recipient] = []
    for row in rows:
        try:
            recipients.append(_recipient(row))
        except ValidationError as exc:
            problems.append(Problem(row.row, row.email, " ".join(exc.messages), asdict(row)))
    by_row = {row.row: row for row in rows}
    refused = recipients_check(badge_class=badge_class, recipients=recipients, allow_duplicate=allow_duplicate)
    problems += [Problem(p.row, by_row[p.row].email, p.error, asdict(by_row[p.row])) for p in refused
                 if p.row is not None]
    bad = {p.row for p in problems}
    problems.sort(key=lambda p: p.row)
    return Preview(good=[row for row in rows if row.row not in bad], problems=problems)


def problems_table(errors: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """The bad rows of a job (``BulkJob.errors``), as the heading and the lines of a file to fix in the
    spreadsheet and upload again: every column the tutor uploaded, in the file's order, then the
    problem and the line it was on."""
    headings: list[str] = []
    for e in errors:
        headings.extend(h for h, _ in e.get("cells") or [] if h not in headings)
    if not headings:  # pasted or API rows: the address is all there is
        headings = ["email"]
    lines = []
    for e in errors:
        cells = dict(e.get("cells") or []) or {"email": e.get("email", "")}
        lines.append([*(cells.get(h, "") for h in headings), e.get("error", ""), e.get("row") or ""])
    return [*headings, "problem", "line"], lines


def _options(notify: bool, verification_type: str | None, allow_duplicate: bool) -> dict[str, Any]:
    options: dict[str, Any] = {"notify": notify, "verification_type": verification_type}
    if allow_duplicate:  # only when set, so jobs made before the option existed keep their fingerprint
        options["allow_duplicate"] = True
    return options


def _fingerprint(badge_class: BadgeClass, rows: list[Row], options: dict[str, Any]) -> str:
    """sha256 of ``json.dumps([badge class id, options, awards], sort_keys=True)``, hashed row by row
    (the same bytes, so earlier jobs keep their fingerprint) rather than held whole: for a 10,000-row
    file the list of dicts and its JSON were two more copies of the file in a web worker's memory.
    The uploaded cells are left out: the same learners with the same details are the same awards."""
    digest = hashlib.sha256()
    digest.update(f"[{json.dumps(str(badge_class.public_id))}, {json.dumps(options, sort_keys=True)}, [".encode())
    for n, r in enumerate(rows):
        award = {name: getattr(r, name) for name in _AWARD_FIELDS}
        digest.update(((", " if n else "") + json.dumps(award, sort_keys=True)).encode())
    digest.update(b"]]")
    return digest.hexdigest()


_ROW_FIELDS = tuple(f.name for f in fields(Row))
_AWARD_FIELDS = tuple(name for name in _ROW_FIELDS if name != "cells")


def _row_dict(row: Row) -> dict[str, Any]:
    """``asdict(row)`` without its deep copy (the cells are not changed afterwards)."""
    return {name: getattr(row, name) for name in _ROW_FIELDS}


def _rows_store(job: BulkJob, rows: list[Row]) -> None:
    """Write the job's rows. On PostgreSQL as JSON bytes made a row at a time and sent as one bound
    parameter: a list of 10,000 dicts, Django's serialisation of it and the client-side quoting of that
    into the statement were four copies of the file in a web worker's memory, half its peak."""
    if connection.vendor != "postgresql":
        BulkJob.objects.filter(pk=job.pk).update(rows=[_row_dict(r) for r in rows])
        return
    data = bytearray(b"[")
    for n, row in enumerate(rows):  # a bytearray grows in place
        if n:
            data += b", "
        data += json.dumps(_row_dict(row)).encode()
    data += b"]"
    connection.ensure_connection()
    # A cursor of the same connection (so the same transaction) that binds on the server: Django's quotes
    # every parameter into the statement's text.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute("UPDATE assertions_bulkjob SET rows = convert_from(%s, 'UTF8')::jsonb WHERE id = %s",
                       (data, job.pk))


def bulk_job_create(*, badge_class: BadgeClass, preview: Preview, source: str = "csv", filename: str = "",
                    notify: bool = True, verification_type: str | None = None, actor: ActorLike = None,
                    issue_now: bool = True, allow_duplicate: bool = False) -> tuple[BulkJob, bool]:
    """A job for the good rows of ``preview``. The same rows for the same badge again return the first
    job (``created`` is False): submitting a file twice never issues twice."""
    badge_class_require_awardable(badge_class)
    if not preview.good:
        raise ValidationError("There are no rows without problems to issue.")
    options = _options(notify, verification_type, allow_duplicate)
    fingerprint = _fingerprint(badge_class, preview.good, options)
    existing = BulkJob.objects.filter(fingerprint=fingerprint).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            job = BulkJob.objects.create(
                tenant=badge_class.tenant, badge_class=badge_class, source=source, filename=filename[:255],
                fingerprint=fingerprint, rows=[], options=options,
                total=preview.total, failed=len(preview.problems),
                errors=[p.as_dict() for p in preview.problems],
                status=BulkJob.Status.QUEUED if issue_now else BulkJob.Status.PREVIEW,
                created_by=acting(actor).user,
                actor_label=acting(actor).label,
            )
            _rows_store(job, preview.good)
    except IntegrityError:  # the same file submitted twice at the same moment
        return BulkJob.objects.get(fingerprint=fingerprint), False
    job.__dict__.pop("rows")  # written apart: read from the database if anything asks
    if issue_now:
        tenant_id, job_id = job.tenant_id, job.pk
        transaction.on_commit(lambda: bulk_job_queue(tenant_id=tenant_id, job_id=job_id))
    return job, True


def bulk_job_find(*, badge_class: BadgeClass, preview: Preview, notify: bool = True,
                  verification_type: str | None = None, allow_duplicate: bool = False) -> BulkJob | None:
    """The job already made from this file, if any. Once a job has run, its learners hold the badge, so a
    fresh preview of the same file calls them holders: those rows count as good again for the lookup."""
    options = _options(notify, verification_type, allow_duplicate)
    held = [Row(**p.values) for p in preview.problems if p.error.startswith(_HOLDS) and p.values]
    candidates = [preview.good, sorted(preview.good + held, key=lambda r: r.row)] if held else [preview.good]
    for rows in candidates:
        if rows:
            job = BulkJob.objects.filter(fingerprint=_fingerprint(badge_class, rows, options)).first()
            if job is not None:
                return job
    return None


def bulk_job_start(*, job: BulkJob) -> BulkJob:
    """The tutor confirmed a previewed job: queue it. Only the request that moves it out of
    ``preview`` enqueues it, so a double click starts it once."""
    badge_class_require_awardable(job.badge_class)
    with transaction.atomic():
        started = BulkJob.objects.filter(pk=job.pk, status=BulkJob.Status.PREVIEW).update(
            status=BulkJob.Status.QUEUED, updated_at=timezone.now())
        if started:
            tenant_id, job_id = job.tenant_id, job.pk
            transaction.on_commit(lambda: bulk_job_queue(tenant_id=tenant_id, job_id=job_id))
    job.refresh_from_db()
    return job


def bulk_job_run(*, job: BulkJob) -> BulkJob:
    """Record the job's chunks one after another in this process (what a worker's pool processes do in
    parallel, one chunk task each: ``assertions.tasks.run_bulk_job``); each chunk in one transaction with
    its done marker, so a run killed mid-job resumes with the chunks not yet recorded."""
    for number in bulk_job_chunks(job=job):
        bulk_chunk_record(job_id=job.pk, number=number)
    return BulkJob.objects.defer("rows").select_related("badge_class__issuer", "tenant").get(pk=job.pk)


def bulk_job_chunks(*, job: BulkJob) -> list[int]:
    """Start (or resume) the job: the numbers of its chunks not yet recorded, for anyone to record in any
    order (``bulk_chunk_record``). The first call fixes the chunk size, so a chunk's number always names the
    same rows; a job begun before chunks existed has ``rows[:cursor]`` done, which becomes its chunk 0.
    Finishes a job whose rows are all done (none left to do it)."""
    with transaction.atomic():
        job = BulkJob.objects.select_for_update(of=("self",)).defer("rows").get(pk=job.pk)
        if job.status in _FINISHED:
            return []
        count, _ = _chunk_rows(job.pk, 0, 0)
        if not job.chunk_size:
            job.chunk_size = job.cursor or settings.BULK_CHUNK_SIZE
            if job.cursor:
                _chunk_claim(job, 0)
        job.status = BulkJob.Status.RUNNING
        if job.cursor >= count:
            _job_finish(job)
        job.save(update_fields=["status", "chunk_size", "finished_at", "errors", "updated_at"])
        if job.status in _FINISHED:
            return []
        done = set(BulkJobChunk.objects.filter(job=job).values_list("number", flat=True))
    return [n for n in range(-(-count // job.chunk_size)) if n not in done]


def bulk_chunk_record(*, job_id: int, number: int) -> bool:
    """Record chunk ``number`` of a running job, in one transaction: its done marker first, then its
    awards (``assertion_issue``), then the job's progress; the chunk that brings the job to its last row
    finishes it and announces ``bulk_finished``, once. False if the chunk was already recorded (a second
    run waits for a first still in progress, then skips) or the job is over."""
    with _no_cycle_collection(), transaction.atomic():
        job = BulkJob.objects.defer("rows").select_related("badge_class__issuer", "tenant", "created_by").get(
            pk=job_id)
        if job.status in _FINISHED or not job.chunk_size or not _chunk_claim(job, number):
            return False
        try:
            badge_class_require_awardable(job.badge_class)
        except (ValidationError, PermissionDenied) as exc:  # retired badge, suspended college: not worth a retry
            _job_fail(job.pk, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
            return False
        count, rows = _chunk_rows(job.pk, number * job.chunk_size, job.chunk_size)
        issued, errors = _issue_chunk(job, rows)
        # Last, and briefly: the job's row is locked from here to the commit, so parallel chunks add to
        # its counts one after another, and exactly one of them sees the last row done.
        locked = BulkJob.objects.select_for_update(of=("self",)).defer("rows").get(pk=job_id)
        locked.issued += issued
        locked.failed += len(errors)
        locked.cursor += len(rows)
        locked.errors.extend(errors)
        fields = ["issued", "failed", "cursor", "errors", "updated_at"]
        if locked.cursor >= count and locked.status not in _FINISHED:
            _job_finish(locked)
            fields += ["status", "finished_at"]
        locked.save(update_fields=fields)
    return True


_FINISHED = frozenset({BulkJob.Status.DONE, BulkJob.Status.FAILED})


def _chunk_claim(job: BulkJob, number: int) -> bool:
    """Write the chunk's done marker in the current transaction; False if it exists. A marker another
    transaction is writing makes this wait for its end: skipped if it commits, written if it rolls back."""
    table = connection.ops.quote_name(BulkJobChunk._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (tenant_id, job_id, number, recorded_at) VALUES (%s, %s, %s, %s) "  # noqa: S608 - our table
                       "ON CONFLICT (job_id, number) DO NOTHING RETURNING id",
                       [job.tenant_id, job.pk, number, timezone.now()])
        return cursor.fetchone() is not None


def _chunk_rows(job_id: int, start: int, size: int) -> tuple[int, list[Row]]:
    """The job's number of rows and ``rows[start:start + size]``. On PostgreSQL the slice is cut by the
    server: a chunk task reads its 1,000 rows, not the job's 10,000."""
    if connection.vendor != "postgresql":
        rows = BulkJob.objects.values_list("rows", flat=True).get(pk=job_id)
        return len(rows), [Row(**r) for r in rows[start:start + size]]
    table = connection.ops.quote_name(BulkJob._meta.db_table)
    with connection.cursor() as cursor:
        if not size:
            cursor.execute(f"SELECT jsonb_array_length(rows) FROM {table} WHERE id = %s", [job_id])  # noqa: S608
            return cursor.fetchone()[0], []
        cursor.execute(f"SELECT jsonb_array_length(rows), jsonb_path_query_array(rows, %s::jsonpath)::text "  # noqa: S608
                       f"FROM {table} WHERE id = %s", [f"$[{int(start)} to {int(start + size - 1)}]", job_id])
        count, text = cursor.fetchone()
    return count, [Row(**r) for r in json.loads(text)]


def _job_finish(job: BulkJob) -> None:
    """Mark the (locked) job done and announce it, in the transaction that did its last rows: the bad
    rows in the order of the file, however the chunks' commits fell."""
    job.status, job.finished_at = BulkJob.Status.DONE, timezone.now()
    job.errors.sort(key=lambda e: e.get("row") or 0)
    announce("bulk_finished", tenant_id=job.tenant_id, job_id=job.pk)


def _job_fail(job_id: int, message: str) -> None:
    """The job can no longer be awarded (retired badge, suspended college): failed, with the reason, once."""
    job = BulkJob.objects.select_for_update(of=("self",)).defer("rows").get(pk=job_id)
    if job.status in _FINISHED:
        return
    job.status, job.finished_at = BulkJob.Status.FAILED, timezone.now()
    job.errors.append({"row": None, "email": "", "error": message})
    job.save(update_fields=["status", "finished_at", "errors", "updated_at"])
    announce("bulk_finished", tenant_id=job.tenant_id, job_id=job.pk)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused while a chunk is recorded. A chunk makes some 20,000 objects
    (rows, checks, instances, COPY rows), nearly all freed by their reference counts when it ends, yet
    they set off collections that walk the whole heap, the job's 10,000 rows and every module included:
    a sixth of recording's CPU. What a chunk leaves in cycles is collected once it is done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _job_actor(job: BulkJob) -> Actor:
    """Who made the job: its staff member, else the API key or system named when it was made (the job
    keeps the label, not the key)."""
    return Actor(user=job.created_by) if job.created_by is not None else Actor(system=job.actor_label)


def _issue_chunk(job: BulkJob, rows: list[Row]) -> tuple[int, list[dict[str, Any]]]:
    """Issue a chunk's rows: how many were issued, and the refused ones as the job's errors, by row."""
    # The rows were previewed; each is validated again, once, by assertion_issue, which also refuses
    # a learner who has been awarded the badge since (unless the job allows duplicates).
    errors: list[dict[str, Any]] = []
    recipients = []
    for row in rows:
        try:
            recipients.append(_recipient(row))
        except ValidationError as exc:
            errors.append({"row": row.row, "email": row.email, "error": " ".join(exc.messages), "cells": row.cells})
    problems: list[RecipientProblem] = []
    issued = assertion_issue(badge_class=job.badge_class, recipients=recipients, problems=problems,
                              notify=job.options.get("notify", True),
                              verification_type=job.options.get("verification_type"),
                              allow_duplicate=job.options.get("allow_duplicate", False),
                              actor=_job_actor(job), bulk_job=job) if recipients else []
    cells: dict[int | None, list[list[str]]] = {row.row: row.cells for row in rows}
    errors.extend({"row": p.row, "email": p.identity, "error": p.error, "cells": cells.get(p.row, [])}
                  for p in problems)
    return len(issued), sorted(errors, key=lambda e: e["row"] or 0)
