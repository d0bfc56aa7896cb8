"""The one CSV writer (issuers.csvexport): formula cells neutralised, separators quoted, and no other
module writes CSV on its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from issuers.csvexport import csv_bytes, csv_cell, csv_cell_read

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "  =1+1", "=", "-"])
def test_a_cell_a_spreadsheet_would_run_starts_with_an_apostrophe(value):
    assert csv_cell(value) == "'" + value
    assert csv_cell_read(csv_cell(value)) == value


@pytest.mark.parametrize("value", ["Welding", "ann@example.org", "2026-09-01", "", "O'Neil", "a=b"])
def test_ordinary_text_is_written_as_it_is(value):
    assert csv_cell(value) == value
    assert csv_cell_read(value) == value


def test_numbers_we_computed_stay_numbers_and_none_is_empty():
    assert csv_cell(-3) == -3
    assert csv_cell(2.5) == 2.5
    assert csv_cell(None) == ""


def test_every_text_cell_is_quoted_so_no_separator_splits_it():
    data = csv_bytes(["name", "count"], [["a;b", 3], ["c,d", 0], ['say "hi"', 1]])
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with the mark
    text = data.decode("utf-8-sig")
    assert text.splitlines() == ['"name","count"', '"a;b",3', '"c,d",0', '"say ""hi""",1']


def test_no_module_writes_csv_but_the_one_writer():
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith((".venv/", "tests/", "var/", "bench/")) or rel == "issuers/csvexport.py":
            continue
        if re.search(r"csv\.(writer|DictWriter)\(", path.read_text()):
            offenders.append(rel)
    assert not offenders, f"write CSV through issuers.csvexport: {offenders}"
