"""Pointing the Celery app at another broker inside a test."""

import os

from voicehive.celery import app as celery_app


def use_broker(url: str) -> None:
    celery_app.conf.broker_url = url
    # Both pools were built for the previous broker: forget them.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def use_redis() -> None:
    """The real broker (REDIS_URL), its queue emptied of earlier tests' messages."""
    use_broker(os.environ["REDIS_URL"])
    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_purge("default")
