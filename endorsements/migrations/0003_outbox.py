"""Endorsement requests' emails move to the outbox (``issuers.OutboxEmail``)."""

import functools

import django.db.models.deletion
from django.db import migrations, models

from issuers.migrations._outbox_copy import copy_link_emails


class Migration(migrations.Migration):

    dependencies = [
        ('endorsements', '0002_link_email_status'),
        ('issuers', '0005_outbox'),
    ]

    operations = [
        migrations.AddField(
            model_name='endorsementrequest',
            name='mail',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='issuers.outboxemail'),
        ),
        migrations.RunPython(functools.partial(copy_link_emails, model="endorsements.EndorsementRequest",
                                               kind="endorsement_request"), migrations.RunPython.noop),
        migrations.RemoveField(model_name='endorsementrequest', name='email_error'),
        migrations.RemoveField(model_name='endorsementrequest', name='email_sent_at'),
        migrations.RemoveField(model_name='endorsementrequest', name='email_status'),
        migrations.RemoveField(model_name='endorsementrequest', name='updated_at'),
    ]
