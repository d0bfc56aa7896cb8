"""The layer map (README "Architecture") and the import-linter contract (pyproject.toml) say the same
thing, cover every app, and an upward import, even one inside a function, breaks the build."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _importlinter() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def _contract_layers() -> list[list[str]]:
    """The layers contract, top first, each layer as its list of apps."""
    (contract,) = [c for c in _importlinter()["contracts"] if c["type"] == "layers"]
    return [[app.strip(" ()") for app in re.split(r"[|:]", layer)] for layer in contract["layers"]]


def _readme_layers() -> list[list[str]]:
    """The picture in the README's Architecture section, top first."""
    section = (ROOT / "README.md").read_text().split("## Architecture", 1)[1]
    picture = section.split("```", 2)[1]
    layers = []
    for line in picture.splitlines():
        names = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
        if names and names != "v":
            layers.append([app.strip() for app in names.split("|")])
    return layers


def _our_apps() -> set[str]:
    return {app for app in settings.INSTALLED_APPS if (ROOT / app / "apps.py").exists()}


def test_readme_picture_lists_the_layers_of_the_contract_in_the_same_order():
    assert _readme_layers() == _contract_layers()


def test_every_installed_app_of_ours_has_a_layer_and_is_checked():
    in_layers = {app for layer in _contract_layers() for app in layer}
    assert _our_apps() | {"badgeplatform"} == in_layers
    assert set(_importlinter()["root_packages"]) == in_layers


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(cwd / "pyproject.toml")],
                          cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_the_code_keeps_to_the_layers():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_upward_import_inside_a_function_breaks_the_layer_check(tmp_path):
    for package in _importlinter()["root_packages"]:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    assert _lint_imports(tmp_path).returncode == 0  # the copy alone keeps to the layers

    with (tmp_path / "badges" / "selectors.py").open("a") as module:
        module.write("\n\ndef _upward():\n    from backpack import models  # noqa: F401\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1
    assert "badges is not allowed to import backpack" in result.stdout


# --- one way for a lower layer to tell a higher one -----------------------------------------------


def test_the_layers_above_fill_the_registries_of_the_layers_below():
    from assertions.events import ANNOUNCED
    from assertions.pipeline import BAKED
    from assertions.services import AWARD_FILES, ERASED
    from backpack.selectors import linked_badges_of_path
    from credentials.models import CredentialKey, EndorserKey
    from credentials.services import credential_files, credentials_bake
    from issuers.keys import ENCRYPTED_KEY_MODELS
    from issuers.outbox import EMAIL_KINDS, EMAIL_OUTCOMES
    from issuers.services import PUBLICATION_LISTENERS
    from lti.models import LtiRegistration
    from pathways.events import COMPLETED
    from pathways.tasks import assertion_revoked, assertions_issued
    from sso.models import SingleSignOn
    from verification.events import VERIFIED
    from verification.links import OUR_PAGES
    from verification.publication import awards_erased, publication_changed
    from webhooks import services as webhooks
    from webhooks import tasks as webhook_tasks
    from webhooks.models import WebhookEndpoint

    assert list(ANNOUNCED["issued"]) == [assertions_issued, webhook_tasks.awards_issued]
    assert list(ANNOUNCED["revoked"]) == [assertion_revoked, webhook_tasks.award_revoked]
    assert list(ANNOUNCED["bulk_finished"]) == [webhook_tasks.bulk_job_finished]
    assert list(PUBLICATION_LISTENERS) == [publication_changed]
    assert list(OUR_PAGES) == [linked_badges_of_path]
    assert {kind.name for kind in EMAIL_KINDS} == {"award", "invitation", "endorsement_request", "expiry_reminder",
                                                   "account", "webhook_disabled", "revocation"}
    assert list(EMAIL_OUTCOMES) == [webhooks.award_emails_done]
    assert list(VERIFIED) == [webhooks.award_verified]
    assert list(COMPLETED) == [webhooks.pathway_completed]
    assert list(BAKED) == [credentials_bake]
    assert list(AWARD_FILES) == [credential_files]
    assert list(ERASED) == [awards_erased]
    assert set(ENCRYPTED_KEY_MODELS) == {CredentialKey, EndorserKey, WebhookEndpoint, LtiRegistration, SingleSignOn}


def test_no_app_reaches_a_higher_layer_by_name_or_signal():
    """Settings naming tasks, import_string and signals would hide an upward dependency from the layer
    check; issuers.registry.Registry is the one way (README "Architecture")."""
    found = []
    for app in _contract_layers():
        for name in app:
            for path in (ROOT / name).rglob("*.py"):
                text = path.read_text()
                for needle in ("import_string(", "Signal(", "@receiver(", "send_task("):
                    if needle in text:
                        found.append(f"{path.relative_to(ROOT)}: {needle}")
    assert found == []


# --- links up the layers --------------------------------------------------------------------------

# A page may link to a page of a higher layer by its URL name ({% url %}, redirect, reverse): the
# project's URL map resolves it, no import is made, so the contract cannot see it. These are the
# ones there are, one line per call site (README "Architecture"); a new one fails the test below.
UPWARD_LINKS = [
    *[("badges/views.py", "assertions:badge")] * 4,  # after saving a badge class: its page, with its awards
    *[("templates/badges/badge_form.html", "assertions:badge")] * 2,  # crumbs and Cancel
    *[("templates/badges/badge_form.html", "assertions:dashboard")] * 2,
    ("templates/badges/badge_form.html", "public:badge_image"),  # the badge's public image
    ("templates/assertions/assertion_detail.html", "public:badge_image"),
    ("templates/assertions/award.html", "public:badge_image"),
    ("templates/assertions/badge_detail.html", "public:badge_image"),
    ("templates/assertions/cohort.html", "public:badge_image"),
    ("templates/assertions/dashboard.html", "public:badge_image"),
    ("templates/assertions/job.html", "pathways:cohort_from_job"),  # save a cohort job's learners as a cohort
    ("issuers/views.py", "backpack:home"),  # the home page sends a signed-in learner to their backpack
    ("issuers/views.py", "console:setup"),  # a new admin who accepts an invitation lands on the set-up checklist
    ("templates/issuers/dashboard.html", "console:setup"),  # and an admin's dashboard links to it
    ("templates/issuers/settings.html", "lti:registrations"),  # Settings lists the college's connections
    ("templates/issuers/settings.html", "webhooks:endpoints"),
    ("templates/backpack/home.html", "obapi:platforms"),  # the backpack's Settings: the platforms a learner connected
    ("templates/issuers/settings.html", "credentials:keys"),  # and the issuers' Open Badges 3.0 keys
    ("templates/issuers/settings.html", "sso:settings"),
]
_URL_NAME = re.compile(r"""(?:\{%\s*url\s+|reverse(?:_lazy)?\(\s*|redirect\(\s*|resolve_url\(\s*)"""
                       r"""["']([a-z_]+):([a-z_]+)["']""")


def upward_links() -> list[tuple[str, str]]:
    rank = {app: -i for i, layer in enumerate(_contract_layers()) for app in layer}  # higher layer, higher rank
    namespace_app = {}
    for app in rank:
        urls = ROOT / app / "urls.py"
        found = re.search(r'app_name = "(\w+)"', urls.read_text()) if urls.exists() else None
        if found:
            namespace_app[found.group(1)] = app
    links = []
    for app in rank:
        for path in sorted([*(ROOT / app).rglob("*.py"), *(ROOT / "templates" / app).rglob("*.html")]):
            for namespace, name in _URL_NAME.findall(path.read_text()):
                target = namespace_app.get(namespace)
                if target is not None and rank[target] > rank[app]:
                    links.append((path.relative_to(ROOT).as_posix(), f"{namespace}:{name}"))
    return links


def test_every_link_to_a_page_of_a_higher_layer_is_listed():
    assert sorted(upward_links()) == sorted(UPWARD_LINKS)
