import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0003_trigram_search_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="callbackrequest",
            name="assigned_to",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="assigned_callback_requests",
                to=settings.AUTH_USER_MODEL,
                verbose_name="owner",
            ),
        ),
        # Left empty on the requests taken before: one with no due time counts as
        # due from when it was taken (CallbackRequest.due).
        migrations.AddField(
            model_name="callbackrequest",
            name="due_at",
            field=models.DateTimeField(
                blank=True,
                help_text="Leave blank to set it from the urgency.",
                null=True,
                verbose_name="due",
            ),
        ),
        migrations.AddIndex(
            model_name="callbackrequest",
            index=models.Index(
                fields=["business", "status", "due_at"],
                name="leads_callb_busines_31bbad_idx",
            ),
        ),
    ]
