import pytest

from apps.core import health
from voicehive.celery import app as celery_app


@pytest.mark.django_db
def test_check_database_answers_none_when_the_database_works():
    assert health.check_database() is None


def test_check_broker_names_the_error_when_nothing_listens(monkeypatch):
    # Port 9 on loopback: nothing listens there, so the connection is refused.
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:9/0")
    reason = health.check_broker(timeout=0.5)
    assert reason is not None
    assert "Error" in reason


@pytest.mark.redis
def test_check_broker_reaches_the_real_redis(monkeypatch):
    import os

    monkeypatch.setattr(celery_app.conf, "broker_url", os.environ["REDIS_URL"])
    assert health.check_broker() is None
