"""Pattern indexes for the tutor's learner search (``assertions.selectors.learner_awards``): an address or
a lower-cased name matched from its start (``LIKE 'lee%'``) is read from these on PostgreSQL. A plain
b-tree index answers ``LIKE`` only under the C collation, hence the ``*_pattern_ops`` classes. SQLite (the
embedded ``make run``) has no operator classes and small tables: nothing to do there."""

from django.db import migrations

INDEXES = {
    "assertion_identity_prefix": "(tenant_id, recipient_identity varchar_pattern_ops)",
    "assertion_name_prefix": "(tenant_id, lower(recipient_name) text_pattern_ops)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON assertions_assertion {columns}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("assertions", "0009_assertion_usage_index")]
    operations = [migrations.RunPython(create, drop)]
