"""Indexes that only PostgreSQL can have (expressions, operator classes), for migrations to create with
``postgres_indexes({name: "table (columns)"})``. SQLite (the embedded ``make run``) gets none: it has no
operator classes, and its tables are small. Not a migration itself: the loader skips modules whose names
start with an underscore."""

from django.db import migrations


def postgres_indexes(indexes: dict[str, str]) -> migrations.RunPython:
    def create(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for name, target in indexes.items():
                schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for name in indexes:
                schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    return migrations.RunPython(create, drop)
