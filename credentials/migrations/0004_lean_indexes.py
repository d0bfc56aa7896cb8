"""The issuer's own index on the OB 3.0 credentials goes: one_award_per_status_index (issuer, status
index) leads with it."""

import django.db.models.deletion
from django.db import migrations, models

from issuers.migrations._concurrent import AddIndexConcurrentlyWhereSupported


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ('credentials', '0003_endorserkey'),
        ('issuers', '0011_lean_indexes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='issuedcredential',
            name='issuer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='issuers.issuer'),
        ),
    ]
