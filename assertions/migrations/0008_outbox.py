"""Award emails move to the outbox: each award points at its latest ``issuers.OutboxEmail``."""

import django.db.models.deletion
from django.db import migrations, models

from issuers.migrations._outbox_copy import copy_award_emails


class Migration(migrations.Migration):

    dependencies = [
        ('assertions', '0007_announcement'),
        ('issuers', '0005_outbox'),
    ]

    operations = [
        migrations.AddField(
            model_name='assertion',
            name='mail',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='issuers.outboxemail'),
        ),
        migrations.RunPython(copy_award_emails, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name='assertion', name='assertion_email_sweep'),
        migrations.RemoveField(model_name='assertion', name='email_attempts'),
        migrations.RemoveField(model_name='assertion', name='email_error'),
        migrations.RemoveField(model_name='assertion', name='email_sent_at'),
        migrations.RemoveField(model_name='assertion', name='email_started_at'),
        migrations.RemoveField(model_name='assertion', name='email_status'),
    ]
