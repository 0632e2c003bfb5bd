"""Calls the OpenAI analysis tagged "sales_lead" read "lead", the word Roxy's VAPI analysis
and every filter now use (apps.calls.analysis.INTENTS), so old and new calls count together.
"""

from django.db import migrations


def _rename(old: str, new: str):
    def rename(apps, schema_editor):
        apps.get_model("calls", "Call").objects.filter(intent=old).update(intent=new)

    return rename


class Migration(migrations.Migration):
    dependencies = [("calls", "0005_call_vapi_deleted_at")]

    operations = [
        migrations.RunPython(
            _rename("sales_lead", "lead"), _rename("lead", "sales_lead"), elidable=True
        )
    ]
