import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("issuers", "0001_initial"),
        ("pathways", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="cohort",
            name="issuer",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="cohorts", to="issuers.issuer"),
        ),
    ]
