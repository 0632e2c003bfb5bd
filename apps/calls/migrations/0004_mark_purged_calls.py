"""Stamp purged_at on the calls the retention purge had already blanked.

Before purged_at, a purged call was one past its business's retention with no
transcript, messages or recordings left: the purge matched only calls that still
had some, so these are the ones it considered done. They are marked as it would
have marked them, with the same cutoff (each business's data_retention_days, and
the field's default for calls to no business), so the next purge skips them.

The time recorded is the call's updated_at, the nearest the data has: the purge
set it when it blanked the call, and only a later re-analysis or erasure moves it.
A call that never had a transcript or recording (a hang-up before Roxy answered)
gets its last update instead.

Calls erased at a caller's request within retention are left unmarked: nothing
tells them from calls that recorded nothing, and retention marks them once
they age past it.
"""

import datetime as dt

from django.db import migrations
from django.db.models import F, Q
from django.utils import timezone


def _mark_purged(apps, schema_editor):
    Business = apps.get_model("businesses", "Business")
    Call = apps.get_model("calls", "Call")
    now = timezone.now()
    blank = Q(transcript="", messages=[], recording_url="", stereo_recording_url="")
    default_days = Business._meta.get_field("data_retention_days").default
    scopes = [(Q(business=b), b.data_retention_days) for b in Business.objects.all()]
    scopes.append((Q(business__isnull=True), default_days))
    for scope, days in scopes:
        cutoff = now - dt.timedelta(days=days)
        old = Q(started_at__lt=cutoff) | Q(
            started_at__isnull=True, created_at__lt=cutoff
        )
        Call.objects.filter(scope, old, blank, purged_at__isnull=True).update(
            purged_at=F("updated_at"), purge_reason="retention"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("businesses", "0001_initial"),
        ("calls", "0003_call_purged_at"),
    ]

    operations = [
        # Going back, 0003's reversal drops the columns and the marks with them.
        migrations.RunPython(_mark_purged, migrations.RunPython.noop),
    ]
