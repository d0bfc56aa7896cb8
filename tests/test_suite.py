"""Rules of the test suite itself (STYLE.md): a test module never imports another test module or a
conftest; shared helpers and fixtures live in tests/support (or a conftest that imports them)."""

from __future__ import annotations

import ast
from pathlib import Path

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
