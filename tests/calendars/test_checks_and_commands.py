"""Secrets at rest, the deploy check, doctor's probe and the operator commands."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from apps.calendars import checks, crypto
from apps.calendars.models import CalendarConnection, CalendarWrite, ConnectedCalendar
from tests.businesses.factories import BusinessFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection():
    return CalendarConnection.objects.create(
        business=BusinessFactory(slug="salon"), kind="caldav", status="active"
    )


def test_secrets_are_encrypted_and_keys_rotate(connection, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CALENDAR_ENCRYPTION_KEYS = [old]
    connection.store_credentials({"password": "hunter2"})
    stored = CalendarConnection.objects.get().secret
    assert "hunter2" not in stored
    settings.CALENDAR_ENCRYPTION_KEYS = [new, old]
    assert CalendarConnection.objects.get().credentials() == {"password": "hunter2"}
    call_command("rotate_calendar_secrets", stdout=io.StringIO())
    settings.CALENDAR_ENCRYPTION_KEYS = [new]
    assert CalendarConnection.objects.get().credentials() == {"password": "hunter2"}
    settings.CALENDAR_ENCRYPTION_KEYS = [old]
    with pytest.raises(crypto.SecretUnreadable):
        CalendarConnection.objects.get().credentials()


def test_the_deploy_check_wants_a_key_in_production(settings):
    settings.DEBUG = False
    settings.CALENDAR_ENCRYPTION_KEYS = []
    assert [m.id for m in checks.check_encryption_keys()] == ["calendars.E002"]
    settings.CALENDAR_ENCRYPTION_KEYS = ["not-a-key"]
    assert [m.id for m in checks.check_encryption_keys()] == ["calendars.E001"]
    settings.CALENDAR_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert checks.check_encryption_keys() == []


def test_development_works_without_a_key_and_only_warns(settings):
    """`make run` (DEBUG, embedded defaults): a CalDAV password can be stored."""
    settings.DEBUG = True
    settings.CALENDAR_ENCRYPTION_KEYS = []

    assert [m.id for m in checks.check_encryption_keys()] == ["calendars.W001"]
    # A password long enough not to turn up in the ciphertext by chance ("pw" did,
    # in about one token in five).
    secret = crypto.encrypt_json({"password": "correct-horse-battery"})
    assert crypto.decrypt_json(secret) == {"password": "correct-horse-battery"}
    assert "correct-horse-battery" not in secret


def test_doctor_probes_each_connection(connection):
    (message,) = checks.check_connections()
    assert message.id == "calendars.W002"  # never synced
    CalendarConnection.objects.update(status="needs_reconnect", last_error="401")
    assert [m.id for m in checks.check_connections()] == ["calendars.E004"]
    CalendarConnection.objects.update(status="active")
    calendar = ConnectedCalendar.objects.create(connection=connection, remote_id="/c/")
    CalendarWrite.objects.create(
        calendar=calendar,
        business=connection.business,
        voicehive_ref="r",
        state=CalendarWrite.State.FAILED,
    )
    assert [m.id for m in checks.check_connections()] == ["calendars.E005"]


def test_resync_queues_a_business_or_says_why_not(connection, mocker):
    ring = mocker.patch("apps.calendars.sync.ring")
    ConnectedCalendar.objects.create(
        connection=connection, remote_id="/c/", sync_token="t"
    )
    out = io.StringIO()
    call_command("resync_calendars", "--business", "salon", stdout=out)
    assert "Queued 1 connection(s)" in out.getvalue()
    assert ConnectedCalendar.objects.get().sync_token == ""
    assert ring.call_count == 1
    with pytest.raises(CommandError):
        call_command("resync_calendars", "--provider", "999", stdout=io.StringIO())
