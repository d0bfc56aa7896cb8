"""The migrations on main are one straight line per app and match the models: two branches that each
added a migration to the same app, or a model change without its migration, fail here before a deploy."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command


def test_the_models_have_every_migration_and_no_app_has_two_leaves(db):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)  # raises on two leaves too
    assert "No changes detected" in out.getvalue()
