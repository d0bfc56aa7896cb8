"""The audit log's indexes, built concurrently on PostgreSQL so the log (written by every change) keeps
taking writes while they build. Migration 0009 built them with a plain CREATE INDEX until this one took
them out: on a database that has them already, they are kept (see ``_concurrent``)."""

from django.db import migrations, models

from issuers.migrations._concurrent import AddIndexConcurrentlyWhereSupported


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ('issuers', '0009_audit_log'),
    ]

    operations = [
        AddIndexConcurrentlyWhereSupported(
            model_name='auditentry',
            index=models.Index(fields=['tenant', '-id'], name='audit_tenant_newest'),
        ),
        AddIndexConcurrentlyWhereSupported(
            model_name='auditentry',
            index=models.Index(fields=['tenant', 'action', '-id'], name='audit_tenant_action'),
        ),
        AddIndexConcurrentlyWhereSupported(
            model_name='auditentry',
            index=models.Index(fields=['tenant', 'actor_label', '-id'], name='audit_tenant_actor'),
        ),
        AddIndexConcurrentlyWhereSupported(
            model_name='auditentry',
            index=models.Index(fields=['tenant', 'badge', '-id'], name='audit_tenant_badge'),
        ),
        AddIndexConcurrentlyWhereSupported(
            model_name='auditentry',
            index=models.Index(fields=['tenant', 'created_at'], name='audit_tenant_created'),
        ),
    ]
