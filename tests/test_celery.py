from celery import Celery
from django.conf import settings

from voicehive.celery import app as celery_app
from voicehive.celery import make_filesystem_broker_folders


def test_every_beat_entry_runs_a_registered_task():
    celery_app.loader.import_default_modules()

    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in celery_app.tasks, entry


def _filesystem_app(folder) -> Celery:
    app = Celery("fresh", set_as_current=False)
    app.conf.broker_url = "filesystem://localhost//"
    app.conf.broker_transport_options = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
    }
    return app


def test_the_embedded_broker_can_take_a_task_on_a_fresh_machine(tmp_path):
    app = _filesystem_app(tmp_path)

    make_filesystem_broker_folders(sender=app)
    app.send_task("notifications.deliver_notification", args=[1])

    assert len(list((tmp_path / "queue").iterdir())) == 1
    assert (tmp_path / "processed").is_dir() and (tmp_path / "control").is_dir()


def test_a_redis_broker_gets_no_folders(tmp_path):
    app = _filesystem_app(tmp_path)
    app.conf.broker_url = "redis://127.0.0.1:6379/0"

    make_filesystem_broker_folders(sender=app)

    assert not list(tmp_path.iterdir())
