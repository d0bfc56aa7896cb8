"""The audit log's indexes are built without locking the log's writes: CREATE INDEX CONCURRENTLY on
PostgreSQL, in a non-atomic migration that keeps an index already there and rebuilds one a broken build
left invalid; a plain index on SQLite (make run)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from issuers.migrations._concurrent import AddIndexConcurrentlyWhereSupported
from tests.support import postgresql_only
from tests.support.servers import ROOT

NAMES = {"audit_tenant_newest", "audit_tenant_action", "audit_tenant_actor", "audit_tenant_badge",
         "audit_tenant_created"}
MIGRATION = ("issuers", "0010_audit_log_indexes")


def _valid(name: str) -> bool | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                       "WHERE c.relname = %s", [name])
        row = cursor.fetchone()
    return None if row is None else row[0]


def _first_operation() -> tuple[AddIndexConcurrentlyWhereSupported, object, object]:
    loader = MigrationLoader(connection)
    migration = loader.get_migration(*MIGRATION)
    before = loader.project_state(("issuers", "0009_audit_log"), at_end=True)
    return migration.operations[0], before, loader.project_state(MIGRATION, at_end=True)


def test_the_indexes_migration_is_non_atomic_and_builds_every_index_concurrently():
    migration = MigrationLoader(None, ignore_no_migrations=True).disk_migrations[MIGRATION]
    assert migration.atomic is False
    assert {op.index.name for op in migration.operations} == NAMES
    assert all(isinstance(op, AddIndexConcurrentlyWhereSupported) for op in migration.operations)


@postgresql_only("reads pg_index")
@pytest.mark.django_db
def test_on_postgresql_every_audit_index_is_there_and_valid():
    assert connection.vendor == "postgresql"
    assert {name: _valid(name) for name in NAMES} == dict.fromkeys(NAMES, True)


@postgresql_only("builds indexes concurrently")
@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_a_valid_index_rebuilds_an_invalid_one_and_goes_back():
    operation, before, after = _first_operation()
    name = operation.index.name

    def forwards() -> None:
        with connection.schema_editor(atomic=False) as editor:
            operation.database_forwards("issuers", editor, before, after)

    forwards()  # already there (built by the test database's migrate): kept, no "already exists"
    assert _valid(name) is True
    with connection.cursor() as cursor:  # what an interrupted CREATE INDEX CONCURRENTLY leaves behind
        cursor.execute("UPDATE pg_index SET indisvalid = false WHERE indexrelid = %s::regclass", [name])
    assert _valid(name) is False
    forwards()
    assert _valid(name) is True
    with connection.schema_editor(atomic=False) as editor:
        operation.database_backwards("issuers", editor, after, before)
    assert _valid(name) is None
    forwards()
    assert _valid(name) is True


def test_on_sqlite_the_migrations_build_the_same_indexes(tmp_path):
    database = tmp_path / "make-run.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    subprocess.run([sys.executable, "manage.py", "migrate", "issuers", "--verbosity", "0"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=300)
    with sqlite3.connect(database) as db:
        found = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert found >= NAMES
