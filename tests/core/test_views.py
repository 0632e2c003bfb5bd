import pytest
from django.urls import reverse

from apps.core import health

pytestmark = pytest.mark.django_db


def test_healthz_reports_ok_when_database_and_broker_answer(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok"},
    }


def test_healthz_is_503_with_the_reason_when_the_broker_is_down(client, monkeypatch):
    monkeypatch.setattr(
        health, "check_broker", lambda: "OperationalError: connection refused"
    )
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok",
        "broker": "OperationalError: connection refused",
    }


def test_healthz_refuses_post(client):
    assert client.post(reverse("healthz")).status_code == 405
