"""The outbox's sweep index holds the emails not sent (queued, sending, failed, unknown: what the sweeps
and the console read), not the sent ones that years of awards leave; the tenant's own index goes, as
outbox_email_usage (tenant, sent_at) leads with it."""

import django.db.models.deletion
from django.db import migrations, models

from issuers.migrations._concurrent import AddIndexConcurrentlyWhereSupported


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ('issuers', '0010_audit_log_indexes'),
    ]

    operations = [
        # The new indexes are built first, without locking writes, then the old ones dropped.
        AddIndexConcurrentlyWhereSupported(
            model_name='outboxemail',
            index=models.Index(condition=models.Q(('status', 'sent'), _negated=True), fields=['status', 'updated_at'], name='outbox_email_unsent'),
        ),
        migrations.RemoveIndex(
            model_name='outboxemail',
            name='outbox_email_sweep',
        ),
        migrations.AlterField(
            model_name='outboxemail',
            name='tenant',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='issuers.tenant'),
        ),
    ]
