"""The one CSV writer: every CSV the platform produces (outcomes, a cohort's bad rows) is written here.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return
before one) as a formula, and a learner's name or a badge's name is whatever someone typed: "CSV
injection". So every text cell, in every column, that starts with one of those (after any spaces)
gets a leading apostrophe, which spreadsheets show as text and do not print. Every text cell is
quoted, so a ``;`` or ``,`` in a name never splits it, whichever separator the spreadsheet's locale
expects. Numbers that we computed (counts, hours) are written as numbers: they cannot be formulas.

Lives in ``issuers``, the lowest app, so that every app above it exports the same way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str | int | float:
    """What is written for ``value``: numbers as they are, None as empty, text neutralised."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return value
    text = "" if value is None else str(value)
    if text.lstrip(" ")[:1] in FORMULA_STARTS:
        return "'" + text
    return text


def csv_cell_read(text: str) -> str:
    """The inverse of :func:`csv_cell` for a file we wrote coming back (a fixed bad-rows file)."""
    if text[:1] == "'" and text[1:].lstrip(" ")[:1] in FORMULA_STARTS:
        return text[1:]
    return text


def csv_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """The file: UTF-8 with a byte-order mark, so Excel reads accents correctly."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def csv_response(filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    """A download of the file, named ``filename``."""
    response = HttpResponse(csv_bytes(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_streaming_response(filename: str, header: Sequence[Any],
                           rows: Iterable[Sequence[Any]]) -> StreamingHttpResponse:
    """The same file as :func:`csv_response`, written as it is read: for exports that can be very long
    (the audit log)."""
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_NONNUMERIC)

    def lines() -> Iterable[bytes]:
        yield "\ufeff".encode() + writer.writerow([csv_cell(h) for h in header]).encode()
        for row in rows:
            yield writer.writerow([csv_cell(v) for v in row]).encode()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
