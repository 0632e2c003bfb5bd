"""Pointing the Celery app at another broker inside a test, and waiting on its worker."""

import os
import threading
import time
from collections.abc import Callable

from celery.signals import task_postrun
from django.db import connection

from voicehive.celery import app as celery_app


def use_broker(url: str) -> None:
    celery_app.conf.broker_url = url
    # Both pools were built for the previous broker: forget them.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def use_redis() -> None:
    """The real broker (REDIS_URL), its queue emptied of earlier tests' messages."""
    use_broker(os.environ["REDIS_URL"])
    with celery_app.connection_for_write() as broker:
        broker.default_channel.queue_purge("default")


def wait_for_worker(check: Callable[[], bool], *, seconds: float = 20.0) -> bool:
    """Whether `check` holds, asked again each time the embedded worker ends a task.

    The worker runs in a thread of this process (start_worker), so its task_postrun
    signal fires here: every change the worker makes lands before one. SQLite's
    shared-cache test database locks whole tables between connections and answers
    "table is locked" at once instead of waiting; reading uncommitted rows takes no
    read locks, so checking never trips the worker or itself.
    """
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA read_uncommitted = 1")
    task_ended = threading.Event()

    def ring(**kwargs) -> None:
        task_ended.set()

    task_postrun.connect(ring, weak=False)
    try:
        deadline = time.monotonic() + seconds
        while True:
            # Cleared before checking, so a task ending mid-check is not missed.
            task_ended.clear()
            if check():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not task_ended.wait(remaining):
                return check()
    finally:
        task_postrun.disconnect(ring)
