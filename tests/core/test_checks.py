import pytest
from django.core import checks
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.core import checks as core_checks
from apps.core import probes
from voicehive.celery import app as celery_app


@pytest.mark.django_db
def test_a_reachable_database_passes_with_its_vendor():
    assert core_checks.check_database() == [
        checks.Info(f"Database: {connection.vendor} reachable", id="core.I001")
    ]


def test_an_unreachable_database_is_an_error(mocker):
    mocker.patch(
        "apps.core.health.check_database", return_value="OperationalError: gone"
    )

    assert core_checks.check_database() == [
        checks.Error(
            "Database: OperationalError: gone",
            hint="Check DATABASE_URL and that the server is running.",
            id=probes.DATABASE_DOWN,
        )
    ]


@pytest.mark.django_db
def test_applied_migrations_pass():
    assert core_checks.check_migrations() == [
        checks.Info("Migrations: all applied", id="core.I002")
    ]


@pytest.mark.django_db
def test_pending_migrations_are_an_error_with_the_command(mocker):
    mocker.patch.object(
        MigrationExecutor, "migration_plan", return_value=[("m1", False), ("m2", False)]
    )

    assert core_checks.check_migrations() == [
        checks.Error(
            "Migrations: 2 migration(s) not applied.",
            hint="Run: python manage.py migrate",
            id=probes.MIGRATIONS_PENDING,
        )
    ]


def test_a_reachable_broker_passes_with_its_scheme(monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", "memory://")

    assert core_checks.check_broker() == [
        checks.Info("Celery broker: memory reachable", id="core.I003")
    ]


def test_an_unreachable_broker_is_an_error(mocker):
    mocker.patch("apps.core.health.check_broker", return_value="ConnectionError: no")

    [message] = core_checks.check_broker()

    assert (message.id, message.msg) == (
        "core.E003",
        "Celery broker: ConnectionError: no",
    )
    assert "REDIS_URL" in message.hint
