"""The Celery application, configured from Django settings (CELERY_* names)."""

import logging
import logging.config
import os
from pathlib import Path

from celery import Celery
from celery.signals import setup_logging, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voicehive.settings")

app = Celery("voicehive")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

FILESYSTEM_BROKER_FOLDERS = (
    "data_folder_in",
    "data_folder_out",
    "processed_folder",
    "control_folder",
)


@app.on_after_configure.connect
def make_filesystem_broker_folders(sender: Celery, **kwargs) -> None:
    """Create the embedded broker's folders, which kombu expects to exist.

    Any process may be the first to enqueue (the web, a worker, `manage.py
    seed_demo`), so the folders cannot be left to `make run`.
    """
    if not sender.conf.broker_url.startswith("filesystem://"):
        return
    options = sender.conf.broker_transport_options or {}
    for key in FILESYSTEM_BROKER_FOLDERS:
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@setup_logging.connect(weak=False)
def use_the_projects_logging(**kwargs) -> None:
    """Worker and beat log through settings.LOGGING, as the web does (JSON lines in
    production, with the call, notification and appointment ids of the work in hand).

    Connecting to this signal stops Celery from installing its own plain-text
    handlers. Django's setup has usually applied LOGGING already; it is applied here
    only when the root logger has no handler yet, so nothing is configured twice.
    """
    if logging.getLogger().handlers:
        return
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


# The row a task works on, by the task's first argument: its lines, Celery's own
# "succeeded" line included, carry that id (the task adds the call's VAPI id and
# the other ids once it has loaded the row).
ROW_ID_FIELDS = {
    "calls.analyze_call": "call_id",
    "notifications.deliver_notification": "notification_id",
}
_task_log_contexts: dict[str, object] = {}


@task_prerun.connect(weak=False)
def tag_task_log_lines(task_id=None, task=None, args=(), **kwargs) -> None:
    """Every line a task writes names the task and the row it works on."""
    from apps.core.logging import log_context

    ids = {"task": task.name, "task_id": task_id}
    field = ROW_ID_FIELDS.get(task.name)
    if field and args:
        ids[field] = args[0]
    context = log_context(**ids)
    context.__enter__()
    _task_log_contexts[task_id] = context


@task_postrun.connect(weak=False)
def untag_task_log_lines(task_id=None, **kwargs) -> None:
    context = _task_log_contexts.pop(task_id, None)
    if context is not None:
        context.__exit__(None, None, None)
