"""`make test` on a machine with only Python 3.11 and make: it first ensures Debian's chromium (and
libcairo2), installing them when the user may, and otherwise stops at once saying what to install."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOBODY = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]  # a user who may not install
MAKE_OWN_LINE = re.compile(r"^make(\[\d+\])?: ")  # make's own "*** Error 1" lines, at any nesting depth


def as_if_typed_in_a_shell() -> dict[str, str]:
    """The environment without what an outer make passes down (CI runs this suite from `make test`)."""
    outer_make = {"MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES"}
    return {key: value for key, value in os.environ.items() if key not in outer_make}


def test_make_test_without_chromium_and_without_root_stops_at_once_saying_what_to_install():
    env = {**as_if_typed_in_a_shell(), "CHROMIUM": "/nonexistent/chromium", "HOME": "/tmp", "PATH": "/usr/bin:/bin"}
    started = time.monotonic()
    result = subprocess.run([*NOBODY, "make", "--no-print-directory", "test"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert time.monotonic() - started < 20  # before the type check, the obvenv build or any test
    lines = [line for line in result.stderr.splitlines() if not MAKE_OWN_LINE.match(line)]
    assert lines == ["make test needs chromium: install it with 'sudo apt-get install chromium' "
                     "and run make test again."]
    assert "mypy" not in result.stdout + result.stderr


def test_with_chromium_present_the_check_does_nothing():
    result = subprocess.run(["bin/ensure-system-packages"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout == result.stderr == ""


def test_make_test_checks_the_browser_before_anything_else():
    plan = subprocess.run(["make", "-n", "--no-print-directory", "test"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env=as_if_typed_in_a_shell()).stdout.splitlines()
    assert plan[0] == "bin/ensure-system-packages"
