from django.conf import settings

from voicehive.celery import app as celery_app


def test_every_beat_entry_runs_a_registered_task():
    celery_app.loader.import_default_modules()

    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in celery_app.tasks, entry
