"""Pattern indexes for the tutor's learner search (``assertions.selectors.learner_awards``): an address or
a lower-cased name matched from its start (``LIKE 'lee%'``) is read from these on PostgreSQL. A plain
b-tree index answers ``LIKE`` only under the C collation, hence the ``*_pattern_ops`` classes."""

from django.db import migrations

from accounts.migrations._postgres_indexes import postgres_indexes


class Migration(migrations.Migration):
    dependencies = [("assertions", "0009_assertion_usage_index")]
    operations = [postgres_indexes({
        "assertion_identity_prefix": "assertions_assertion (tenant_id, recipient_identity varchar_pattern_ops)",
        "assertion_name_prefix": "assertions_assertion (tenant_id, lower(recipient_name) text_pattern_ops)",
    })]
