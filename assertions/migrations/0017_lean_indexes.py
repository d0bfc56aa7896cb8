"""Fewer and smaller indexes on the awards, each award's recording touching fewer (issue 19: 26 indexes
were updated per award). Dropped, as nothing uses them (EXPLAIN at 100,000 awards, bench/years.py
--grow-only: PostgreSQL already answered every lookup they could serve from another index):
(tenant, address) and (badge class, address), whose equality lookups the pattern indexes of 0010 and
0016 answer (the issuing service's duplicate check, the API's recipient filter, pathways), and the
tenant's own index, which every tenant-led index covers. The foreign keys that are mostly null (who
claimed, issued, signed, the bulk job, the revocation email) are indexed only where set, and the
pipeline sweep's index holds only pending bakes, so a bake leaves it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from issuers.migrations._concurrent import AddIndexConcurrentlyWhereSupported


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ('assertions', '0016_badge_search_indexes'),
        ('badges', '0004_badgeclass_achievement_type_and_more'),
        ('issuers', '0011_lean_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The new indexes are built first, without locking writes, then the old ones dropped.
        AddIndexConcurrentlyWhereSupported(
            model_name='assertion',
            index=models.Index(condition=models.Q(('bake_status', 'pending')), fields=['updated_at'], name='assertion_bake_pending'),
        ),
        AddIndexConcurrentlyWhereSupported(
            model_name='assertion',
            index=models.Index(condition=models.Q(('claimed_by__isnull', False)), fields=['claimed_by'], name='assertion_claimed_by'),
        ),
        AddIndexConcurrentlyWhereSupported(
            model_name='assertion',
            index=models.Index(condition=models.Q(('issued_by__isnull', False)), fields=['issued_by'], name='assertion_issued_by'),
        ),
        AddIndexConcurrentlyWhereSupported(
            model_name='assertion',
            index=models.Index(condition=models.Q(('signing_key__isnull', False)), fields=['signing_key'], name='assertion_signing_key'),
        ),
        AddIndexConcurrentlyWhereSupported(
            model_name='assertion',
            index=models.Index(condition=models.Q(('bulk_job__isnull', False)), fields=['bulk_job'], name='assertion_bulk_job'),
        ),
        AddIndexConcurrentlyWhereSupported(
            model_name='assertion',
            index=models.Index(condition=models.Q(('revocation_mail__isnull', False)), fields=['revocation_mail'], name='assertion_revocation_mail'),
        ),
        migrations.RemoveIndex(
            model_name='assertion',
            name='assertions__tenant__13f0ff_idx',
        ),
        migrations.RemoveIndex(
            model_name='assertion',
            name='assertions__badge_c_62231f_idx',
        ),
        migrations.RemoveIndex(
            model_name='assertion',
            name='assertion_bake_sweep',
        ),
        migrations.AlterField(
            model_name='assertion',
            name='bulk_job',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assertions', to='assertions.bulkjob'),
        ),
        migrations.AlterField(
            model_name='assertion',
            name='claimed_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='claimed_assertions', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='assertion',
            name='issued_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='assertion',
            name='revocation_mail',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='issuers.outboxemail'),
        ),
        migrations.AlterField(
            model_name='assertion',
            name='signing_key',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='issuers.signingkey'),
        ),
        migrations.AlterField(
            model_name='assertion',
            name='tenant',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='assertions', to='issuers.tenant'),
        ),
    ]
