"""ImportedBadge.issued_at: the imported badge's issue moment as a column, for the grid's order in SQL."""

from datetime import UTC, datetime

from django.db import migrations, models


def _moment(value):
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def fill(apps, schema_editor):
    ImportedBadge = apps.get_model("backpack", "ImportedBadge")
    for imported in ImportedBadge.objects.only("pk", "badge").iterator(chunk_size=1000):
        moment = _moment((imported.badge or {}).get("issued_on"))
        if moment is not None:
            ImportedBadge.objects.filter(pk=imported.pk).update(issued_at=moment)


class Migration(migrations.Migration):

    dependencies = [
        ('backpack', '0003_imported_badge_ob3_sources'),
    ]

    operations = [
        migrations.AddField(
            model_name='importedbadge',
            name='issued_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
