"""Probes of the services everything else needs: the database, its schema and the broker."""

from urllib.parse import urlsplit

from django.core import checks
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.core import health, probes
from voicehive.celery import app as celery_app


@probes.register
def check_database(**kwargs) -> list[checks.CheckMessage]:
    """The database answers a query."""
    error = health.check_database()
    if error:
        return [
            checks.Error(
                f"Database: {error}",
                hint="Check DATABASE_URL and that the server is running.",
                id=probes.DATABASE_DOWN,
            )
        ]
    return [checks.Info(f"Database: {connection.vendor} reachable", id="core.I001")]


@probes.register(probes.DATABASE)
def check_migrations(**kwargs) -> list[checks.CheckMessage]:
    """Every migration is applied, so the tables the other probes read exist."""
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        return [
            checks.Error(
                f"Migrations: {len(pending)} migration(s) not applied.",
                hint="Run: python manage.py migrate",
                id=probes.MIGRATIONS_PENDING,
            )
        ]
    return [checks.Info("Migrations: all applied", id="core.I002")]


@probes.register
def check_broker(**kwargs) -> list[checks.CheckMessage]:
    """The Celery broker accepts a connection."""
    error = health.check_broker()
    if error:
        return [
            checks.Error(
                f"Celery broker: {error}",
                hint="Check REDIS_URL / CELERY_BROKER_URL and that Redis is running.",
                id="core.E003",
            )
        ]
    url = celery_app.conf.broker_url
    scheme = urlsplit(url).scheme or url
    return [checks.Info(f"Celery broker: {scheme} reachable", id="core.I003")]
