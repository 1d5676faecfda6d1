"""Each earlier alert belongs to its hand-over's project (alerts now exist without a hand-over too)."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    WatchAlert = apps.get_model("sustainability", "WatchAlert")
    Handover = apps.get_model("sustainability", "Handover")
    WatchAlert.objects.filter(project__isnull=True, handover__isnull=False).update(
        project=Subquery(Handover.objects.filter(pk=OuterRef("handover_id")).values("project_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [("sustainability", "0003_watch_every_measure")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
