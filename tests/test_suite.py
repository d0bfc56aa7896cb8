"""Rules of the test suite itself (STYLE.md): a test module never imports another test module or a
conftest; shared helpers and fixtures live in tests/support (or a conftest that imports them)."""

from __future__ import annotations

import ast
import os
import tomllib
from pathlib import Path

from tests.xdist_worker import isolate_worker, redis_db_for_worker, redis_url_for_worker

TESTS = Path(__file__).resolve().parent


def imports_of_test_modules(root: Path) -> list[str]:
    """``file: module`` for every import, under ``root``, of a module named ``test_*`` or ``conftest``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                if name.split(".")[0] == "tests" and any(
                        part.startswith("test_") or part == "conftest" for part in name.split(".")[1:]):
                    found.append(f"{path.relative_to(root)}: {name}")
                    break
    return found


def test_no_test_module_imports_another_test_module_or_a_conftest():
    assert imports_of_test_modules(TESTS) == [], "move what they share to tests/support"


def test_the_rule_catches_a_test_module_imported_by_another(tmp_path):
    (tmp_path / "test_one.py").write_text("from tests.assertions.test_issue_and_publish import badge_a\n")
    (tmp_path / "test_two.py").write_text("def test_x():\n    from tests.conftest import make_user\n")
    (tmp_path / "test_three.py").write_text("from tests.support import png_bytes\nfrom tests import support\n")
    assert imports_of_test_modules(tmp_path) == [
        "test_one.py: tests.assertions.test_issue_and_publish", "test_two.py: tests.conftest"]


def test_browser_tests_wait_through_devtools_not_an_in_page_eval():
    """``page.wait_for_function`` evaluates its predicate with ``eval`` in the page, which our CSP refuses
    (Chromium 156 reports it): browser tests wait with ``tests.browser.support.wait_until``."""
    users = [str(path.relative_to(TESTS)) for path in sorted((TESTS / "browser").rglob("test_*.py"))
             if ".wait_for_function(" in path.read_text()]
    assert users == [], "use tests.browser.support.wait_until"


def absolute_paths_in_tests(root: Path) -> list[str]:
    """``file: path`` for every string literal under ``root`` that names a folder of this machine
    outside the repository (screenshots and artifacts go under test-artifacts/, via tests/browser/support)."""
    found = []
    for path in sorted(set(root.rglob("*.py")) - {Path(__file__).resolve()}):  # not the rule's own prefixes
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith(
                    ("/work/", "/home/", "/root/")):
                found.append(f"{path.relative_to(root)}: {node.value}")
    return found


def test_no_test_writes_outside_the_repository():
    assert absolute_paths_in_tests(TESTS) == [], "write under test-artifacts/ (tests/browser/support.shots)"


def test_the_rule_catches_a_screenshot_folder_outside_the_repository(tmp_path):
    (tmp_path / "test_one.py").write_text('from pathlib import Path\nSHOTS = Path("/work/shots/employer")\n')
    (tmp_path / "test_two.py").write_text('CHROMIUM = "/usr/bin/chromium"\n')
    assert absolute_paths_in_tests(tmp_path) == ["test_one.py: /work/shots/employer"]


def test_make_test_runs_the_suite_in_one_pytest_process_per_core_each_taking_whole_files():
    """The 20-minute budget on 2 cores needs both (README "Set-up"); ``--dist loadfile`` keeps a module's
    fixtures built once, and the plugin that isolates the workers is named for every run, with or without -n."""
    makefile = (TESTS.parent / "Makefile").read_text()
    assert "$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile\n" in makefile
    pyproject = tomllib.loads((TESTS.parent / "pyproject.toml").read_text())
    addopts = pyproject["tool"]["pytest"]["ini_options"]["addopts"].split()
    assert "-ra" in addopts
    assert "tests.xdist_worker" == addopts[addopts.index("-p") + 1]


def test_each_xdist_worker_counts_its_redis_database_up_from_the_base_or_down_when_there_is_no_room():
    assert [redis_db_for_worker(1, i, 2) for i in range(2)] == [1, 2]  # a helper's dbs 1 and 2
    assert [redis_db_for_worker(15, i, 2) for i in range(2)] == [15, 14]  # CI's db 15
    assert [redis_db_for_worker(0, i, 4) for i in range(4)] == [0, 1, 2, 3]
    assert [redis_db_for_worker(14, i, 3) for i in range(3)] == [14, 13, 12]
    assert redis_url_for_worker("redis://127.0.0.1:6379", 1, 2) == "redis://127.0.0.1:6379/1"
    assert redis_url_for_worker("rediss://:pw@cache.example:6380/15?ssl_cert_reqs=none", 1, 2) == (
        "rediss://:pw@cache.example:6380/14?ssl_cert_reqs=none")


def test_a_worker_gets_its_own_var_dir_and_redis_databases_and_a_plain_run_keeps_its_own(tmp_path):
    worker = {"PYTEST_XDIST_WORKER": "gw1", "PYTEST_XDIST_WORKER_COUNT": "2", "VAR_DIR": str(tmp_path),
              "REDIS_URL": "redis://127.0.0.1:6379/15", "REDIS_CACHE_URL": "redis://127.0.0.1:6379/7"}
    isolate_worker(worker, TESTS.parent)
    isolate_worker(worker, TESTS.parent)  # a second import changes nothing
    assert worker["VAR_DIR"] == str(tmp_path / "xdist" / "gw1")
    assert (tmp_path / "xdist" / "gw1").is_dir()
    assert (worker["REDIS_URL"], worker["REDIS_CACHE_URL"]) == ("redis://127.0.0.1:6379/14", "redis://127.0.0.1:6379/8")
    plain = {"REDIS_URL": "redis://127.0.0.1:6379/15"}
    isolate_worker(plain, TESTS.parent)
    assert plain == {"REDIS_URL": "redis://127.0.0.1:6379/15"}


def test_this_process_settings_are_its_workers_own():
    """The plugin ran before Django's settings were imported: they (and the processes tests start, which
    inherit the environment) use this worker's VAR_DIR and Redis database."""
    from django.conf import settings

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    assert (settings.VAR_DIR.parts[-2:] == ("xdist", worker)) if worker else ("xdist" not in settings.VAR_DIR.parts)
    assert str(settings.VAR_DIR) == os.environ.get("VAR_DIR", str(settings.VAR_DIR))
    if settings.REDIS_URL:
        assert settings.REDIS_URL == os.environ["REDIS_URL"]
        assert settings.CELERY_BROKER_URL == settings.REDIS_URL
