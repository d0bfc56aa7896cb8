"""The image installs the project with `pip install .`: every app of ours must be in the packages that
setuptools finds, or the installed copy lacks it."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]


def test_every_app_of_ours_is_packaged():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"][
        "include"]
    ours = sorted(config.name for config in apps.get_app_configs()
                  if Path(config.path).resolve().parent == ROOT)
    assert ours, "no app found under the project root"
    assert [name for name in ours if not any(fnmatch(name, p) for p in patterns)] == []
