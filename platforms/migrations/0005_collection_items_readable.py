from django.db import migrations, models


def mark_refused_playlists(apps, schema_editor):
    # Imports so far stored a refused playlist as not editable, with the platform's count
    # and no items, and then skip it while its version stays the same: mark those now.
    Collection = apps.get_model("platforms", "Collection")
    Collection.objects.filter(kind="playlist", editable=False, item_count__gt=0).exclude(
        items__isnull=False
    ).update(items_readable=False)


class Migration(migrations.Migration):
    dependencies = [
        ("platforms", "0004_quotaledger_refused_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="collection",
            name="items_readable",
            field=models.BooleanField(default=True),
        ),
        migrations.RunPython(mark_refused_playlists, migrations.RunPython.noop),
    ]
