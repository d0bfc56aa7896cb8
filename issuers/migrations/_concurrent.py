"""An index built without locking its table's writes: ``CREATE INDEX CONCURRENTLY`` on PostgreSQL (the
audit log is written by every change, so a plain ``CREATE INDEX`` would stall the whole college while it
builds), a plain index elsewhere (SQLite, for ``make run``). Its migration must be ``atomic = False``.

It also copes with a database where the index is already there: a valid one (built by the migration
before this one took the indexes out) is kept; an invalid one (a concurrent build that was interrupted)
is dropped and built again. Not a migration itself: the loader skips modules starting with an underscore."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db.migrations.operations import AddIndex


def _index_state(schema_editor: Any, name: str) -> bool | None:
    """True: a valid index of that name; False: an invalid one; None: none."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                       "WHERE c.relname = %s AND pg_catalog.pg_table_is_visible(c.oid)", [name])
        row = cursor.fetchone()
    return None if row is None else bool(row[0])


class AddIndexConcurrentlyWhereSupported(AddIndexConcurrently):
    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)
            return
        state = _index_state(schema_editor, self.index.name)
        if state is True:
            return
        if state is False:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(self.index.name)}")
        super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)
            return
        super().database_backwards(app_label, schema_editor, from_state, to_state)
