"""Reachability checks for the services VoiceHive depends on."""

from django.db import connection

from voicehive.celery import app as celery_app


def check_database() -> str | None:
    """Return None when the database answers, else the reason it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any failure at all means "unhealthy"
        return f"{type(exc).__name__}: {exc}"
    return None


def check_broker(timeout: float = 2.0) -> str | None:
    """Return None when the Celery broker accepts a connection, else the reason."""
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None
