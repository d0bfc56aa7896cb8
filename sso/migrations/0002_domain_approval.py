"""Email domain claims wait for the platform's approval; domains claimed before now wait too (none is trusted
on the college admin's word alone)."""

import uuid

import django.utils.timezone
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def ids_give(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    EmailDomain = apps.get_model("sso", "EmailDomain")
    for claim in EmailDomain._base_manager.all():
        claim.public_id = uuid.uuid4()
        claim.save(update_fields=["public_id"])


class Migration(migrations.Migration):

    dependencies = [
        ("sso", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="emaildomain",
            name="domain",
            field=models.CharField(max_length=253),
        ),
        migrations.AddField(
            model_name="emaildomain",
            name="public_id",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(ids_give, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="emaildomain",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AddField(
            model_name="emaildomain",
            name="status",
            field=models.CharField(choices=[("waiting", "waiting for approval by the platform"),
                                            ("approved", "approved"), ("refused", "refused by the platform")],
                                   default="waiting", max_length=10),
        ),
        migrations.AddField(
            model_name="emaildomain",
            name="claimed_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="emaildomain",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="emaildomain",
            constraint=models.UniqueConstraint(fields=("tenant", "domain"), name="sso_domain_once_per_college"),
        ),
        migrations.AddConstraint(
            model_name="emaildomain",
            constraint=models.UniqueConstraint(condition=models.Q(("status", "approved")), fields=("domain",),
                                               name="sso_domain_approved_for_one_college"),
        ),
    ]
