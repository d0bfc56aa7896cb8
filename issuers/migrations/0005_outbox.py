"""One outbox for every email: ``OutboxEmail`` rows, and invitations point at their latest one."""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from issuers.migrations._outbox_copy import copy_link_emails

class Migration(migrations.Migration):

    dependencies = [
        ('issuers', '0004_link_email_status'),
    ]

    operations = [
        migrations.CreateModel(
            name='OutboxEmail',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('kind', models.CharField(max_length=32)),
                ('to', models.CharField(max_length=320)),
                ('content', models.JSONField(blank=True, default=dict)),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Not delivered'), ('unknown', 'Delivery unknown')], default='queued', max_length=10)),
                ('error', models.TextField(blank=True)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('claim', models.UUIDField(blank=True, null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('tenant', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='issuers.tenant')),
            ],
            options={
                'indexes': [models.Index(fields=['status', 'updated_at'], name='outbox_email_sweep')],
            },
        ),
        migrations.AddField(
            model_name='invitation',
            name='mail',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='issuers.outboxemail'),
        ),
        migrations.RunPython(copy_link_emails, migrations.RunPython.noop),
        migrations.RemoveField(model_name='invitation', name='email_error'),
        migrations.RemoveField(model_name='invitation', name='email_sent_at'),
        migrations.RemoveField(model_name='invitation', name='email_status'),
        migrations.RemoveField(model_name='invitation', name='updated_at'),
    ]
