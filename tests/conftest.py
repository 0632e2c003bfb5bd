"""Project-wide fixtures: no network, fast hashing, service-backed test markers."""

import importlib.util
import ipaddress
import os
import socket
from pathlib import Path

import pytest
from celery.signals import setup_logging
from hypothesis import settings as hypothesis_settings

from voicehive.celery import app as celery_app

# Fixtures shared across apps, registered once rather than re-exported per module.
pytest_plugins = ["tests.vapi.payloads.vapi_api", "tests.vapi.webhook"]

REQUIRE_SERVICES = os.environ.get("VOICEHIVE_REQUIRE_SERVICES") == "1"

# CI draws the same examples on every run, so a red build stays red on a rerun and
# a pass can't be luck; a workstation draws new ones each run to keep exploring.
# Either way a failure prints the blob for @reproduce_failure.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.register_profile("dev", print_blob=True)
hypothesis_settings.load_profile(
    "ci" if os.environ.get("CI") or REQUIRE_SERVICES else "dev"
)

# Debian's package: the browser tests never download a browser of their own.
CHROMIUM = Path("/usr/bin/chromium")


class NetworkBlockedError(RuntimeError):
    pass


def _is_local(address) -> bool:
    if isinstance(address, str | bytes):  # AF_UNIX socket path
        return True
    host = address[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@setup_logging.connect(weak=False)
def keep_the_projects_logging(**kwargs) -> None:
    """Embedded test workers (start_worker) leave the process's logging alone.

    Without a receiver for this signal, every worker sets the root logger to ERROR
    with Celery's own handlers, and later tests that read log output break.
    """


def pytest_configure(config):
    # Tests never talk to a real broker by accident; the Redis tests opt in.
    if not os.environ.get("REDIS_URL"):
        celery_app.conf.broker_url = "memory://"


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any connection beyond this machine fails loudly: fake the outside world at its wire."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded(real):
        def connect(sock, address):
            if not _is_local(address):
                raise NetworkBlockedError(
                    f"Test tried to reach {address!r}; mock it instead."
                )
            return real(sock, address)

        return connect

    monkeypatch.setattr(socket.socket, "connect", guarded(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(real_connect_ex))


@pytest.fixture(autouse=True)
def test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Production redirects plain HTTP to HTTPS; the test client speaks plain HTTP.
    settings.SECURE_SSL_REDIRECT = False
    # The hashed-manifest storage needs collectstatic, which tests never run.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }


@pytest.fixture
def deliveries(mocker):
    """Notification deliveries rung (deliver_notification.delay), kept from the broker."""
    return mocker.patch("apps.notifications.tasks.deliver_notification.delay")


def _require(reason_missing: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason_missing}, and VOICEHIVE_REQUIRE_SERVICES=1 requires it.")
    pytest.skip(reason_missing)


@pytest.fixture(autouse=True)
def _service_markers(request):
    if request.node.get_closest_marker("postgres"):
        from django.db import connection

        if connection.vendor != "postgresql":
            _require("This test needs PostgreSQL (set DATABASE_URL)")
    if request.node.get_closest_marker("redis"):
        if not os.environ.get("REDIS_URL"):
            _require("This test needs Redis (set REDIS_URL)")
    if request.node.get_closest_marker("browser"):
        request.getfixturevalue("chromium_path")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium for the browser tests, once playwright can drive it."""
    if not CHROMIUM.exists():
        _require(f"This test needs Chromium at {CHROMIUM} (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        _require("This test needs playwright (pip install -r requirements/dev.txt)")
    return str(CHROMIUM)
