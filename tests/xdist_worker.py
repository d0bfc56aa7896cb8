"""Each pytest-xdist worker's own Redis database and VAR_DIR (named in pyproject.toml's ``addopts`` with ``-p``).

``make test`` runs the suite in several pytest processes (``-n``). pytest-django gives each its own test
database (``test_<name>_gw0``, ...), but the rest of what a test process shares with the processes it
starts lives in two places the settings read from the environment: ``REDIS_URL`` (Celery's queues, the
cache, rate limits, idempotency keys) and ``VAR_DIR`` (media, mail files, the embedded filesystem broker,
archives, SQLite files). A test that starts a real Celery worker must never have it consume the other
pytest process's tasks, nor one process's cache flush empty the other's. So each worker gets:

- ``VAR_DIR``: ``<VAR_DIR>/xdist/gw<N>`` (``<VAR_DIR>`` is ``var/`` unless set);
- ``REDIS_URL`` (and ``REDIS_CACHE_URL`` if set): the base URL's database *b* (its path, 0 if none),
  counted up for each worker, ``b, b+1, ...``; if that would pass 15 (Redis's 16 databases), counted
  down instead, ``b, b-1, ...`` (wrapping within 0..15 if there are more workers than room). So CI's db 15
  gives 15 and 14, a helper's db 1 gives 1 and 2, and worker gw0 always keeps the base database.

This must happen before Django's settings are imported, and pytest-django imports them while pytest loads
its initial conftests (``pytest_load_initial_conftests``), before any conftest runs: a ``-p`` plugin is
imported earlier, while pytest reads its command line, so this module does its work when imported.
It changes ``os.environ``, so the servers and Celery workers a test starts inherit the same values.
Without xdist (``PYTEST_XDIST_WORKER`` unset: a plain ``pytest``, or xdist's controller) it does nothing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

REDIS_DATABASES = 16


def redis_db_for_worker(base: int, index: int, count: int) -> int:
    """The Redis database of worker ``index`` (0-based) of ``count``, from the run's base database."""
    step = 1 if base + count - 1 < REDIS_DATABASES else -1
    return (base + step * index) % REDIS_DATABASES


def redis_url_for_worker(url: str, index: int, count: int) -> str:
    """``url`` with its database (``/<n>`` path; 0 when there is none) replaced by the worker's."""
    match = re.fullmatch(r"(?P<head>rediss?://[^/?#]*)(?:/(?P<db>\d*))?(?P<tail>[?#].*)?", url)
    if match is None:
        raise ValueError(f"cannot give each pytest-xdist worker its own database in {url!r}")
    base = int(match["db"] or 0)
    return f"{match['head']}/{redis_db_for_worker(base, index, count)}{match['tail'] or ''}"


def isolate_worker(environ: os._Environ[str] | dict[str, str], root: Path) -> None:
    """Point ``environ``'s Redis URLs and VAR_DIR at this xdist worker's own (see the module docstring)."""
    worker = environ.get("PYTEST_XDIST_WORKER")
    if not worker or environ.get("BADGEPLATFORM_XDIST_ISOLATED") == worker:
        return
    index = int(worker.removeprefix("gw"))
    count = int(environ.get("PYTEST_XDIST_WORKER_COUNT") or index + 1)
    for name in ("REDIS_URL", "REDIS_CACHE_URL"):
        if environ.get(name):
            environ[name] = redis_url_for_worker(environ[name], index, count)
    var_dir = Path(environ.get("VAR_DIR") or root / "var") / "xdist" / worker
    var_dir.mkdir(parents=True, exist_ok=True)
    environ["VAR_DIR"] = str(var_dir)
    environ["BADGEPLATFORM_XDIST_ISOLATED"] = worker  # once per process, even if imported twice


isolate_worker(os.environ, Path(__file__).resolve().parents[1])
