"""Expiry reminders are sent through the outbox: each points at its ``issuers.OutboxEmail``."""

import django.db.models.deletion
from django.db import migrations, models

from issuers.migrations._outbox_copy import copy_reminders


class Migration(migrations.Migration):

    dependencies = [
        ('backpack', '0001_initial'),
        ('assertions', '0008_outbox'),
        ('issuers', '0005_outbox'),
    ]

    operations = [
        migrations.AddField(
            model_name='expiryreminder',
            name='mail',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='issuers.outboxemail'),
        ),
        migrations.RunPython(copy_reminders, migrations.RunPython.noop),
        migrations.RemoveField(model_name='expiryreminder', name='error'),
        migrations.RemoveField(model_name='expiryreminder', name='sent_at'),
    ]
