"""The sync engine's policy: bounded beats, errors, full and incremental pages."""

import datetime as dt

import pytest

from apps.calendars import providers, sync
from apps.calendars.models import BusyBlock, CalendarConnection, ConnectedCalendar
from apps.calendars.providers.base import (
    GrantRevoked,
    ProviderError,
    RemoteEvent,
    SyncPage,
)
from tests.appointments.factories import ProviderFactory
from tests.businesses.factories import BusinessFactory
from tests.calendars.fakes import FakeAdapter

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)


@pytest.fixture
def fake(time_machine):
    time_machine.move_to(NOW, tick=False)
    adapter = FakeAdapter()
    providers.override("caldav", adapter)
    yield adapter
    providers.override("caldav", None)


@pytest.fixture
def calendar():
    provider = ProviderFactory(business=BusinessFactory())
    connection = CalendarConnection.objects.create(
        business=provider.business, provider=provider, kind="caldav", status="active"
    )
    return ConnectedCalendar.objects.create(
        connection=connection, remote_id="/cal/", blocks_time=True
    )


def event(remote_id, hour, **kwargs):
    start = NOW.replace(hour=hour) + dt.timedelta(days=1)
    return RemoteEvent(
        remote_id=remote_id,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        **kwargs,
    )


def test_full_then_incremental_pages(calendar, fake):
    fake.pages = [
        SyncPage(
            events=[event("a", 9), event("r#1", 10), event("r#2", 11)],
            next_sync_token="t1",
            full=True,
        ),
        SyncPage(events=[event("b", 12)], removed_ids=["a", "r"], next_sync_token="t2"),
        SyncPage(events=[event("c", 13)], next_sync_token="t3", full=True),
    ]
    assert sync.sync_connection(calendar.connection_id) == "ok"
    assert set(BusyBlock.objects.values_list("remote_id", flat=True)) == {
        "a",
        "r#1",
        "r#2",
    }
    calendar.refresh_from_db()
    assert calendar.sync_token == "t1" and calendar.last_synced_at == NOW
    sync.sync_connection(calendar.connection_id)
    assert set(BusyBlock.objects.values_list("remote_id", flat=True)) == {"b"}
    sync.sync_connection(calendar.connection_id)
    assert set(BusyBlock.objects.values_list("remote_id", flat=True)) == {"c"}
    block = BusyBlock.objects.get()
    assert block.provider_id == calendar.connection.provider_id
    assert block.business_id == calendar.connection.business_id


def test_a_transient_error_backs_off_and_keeps_the_busy_time(calendar, fake):
    fake.pages = [SyncPage(events=[event("a", 9)], full=True, next_sync_token="t")]
    sync.sync_connection(calendar.connection_id)
    fake.fail_with = [ProviderError("503", transient=True)]
    assert sync.sync_connection(calendar.connection_id) == "error"
    connection = CalendarConnection.objects.get()
    assert connection.status == "error" and connection.failures == 1
    assert connection.next_sync_at == NOW + dt.timedelta(seconds=120)
    assert BusyBlock.objects.count() == 1


def test_a_revoked_grant_needs_reconnecting(calendar, fake):
    fake.fail_with = [GrantRevoked("401")]
    assert sync.sync_connection(calendar.connection_id) == "needs_reconnect"
    assert CalendarConnection.objects.get().status == "needs_reconnect"
    assert sync.sync_connection(calendar.connection_id) == "skipped"


def test_the_beat_queues_a_bounded_batch_oldest_first(fake, settings, mocker):
    settings.CALENDAR_SYNC_BATCH_SIZE = 3
    ring = mocker.patch("apps.calendars.sync.ring", return_value=True)
    business = BusinessFactory()
    CalendarConnection.objects.bulk_create(
        CalendarConnection(
            business=business,
            kind="caldav",
            status="active",
            next_sync_at=NOW - dt.timedelta(minutes=i),
        )
        for i in range(7)
    )
    assert sync.sync_due() == {"due": 3, "enqueued": 3}
    assert sync.sync_due() == {"due": 3, "enqueued": 3}
    assert sync.sync_due() == {"due": 1, "enqueued": 1}
    assert sync.sync_due() == {"due": 0, "enqueued": 0}
    assert ring.call_count == 7


def test_an_outside_event_on_one_of_our_appointments_is_a_clash(calendar, fake):
    from apps.calendars.models import CalendarWrite
    from tests.appointments.factories import AppointmentFactory

    connection = calendar.connection
    start = NOW.replace(hour=10) + dt.timedelta(days=1)
    appointment = AppointmentFactory(
        business=connection.business, provider=connection.provider, start_at=start
    )
    write = CalendarWrite.objects.create(
        appointment=appointment,
        calendar=calendar,
        business=connection.business,
        voicehive_ref="voicehive-appointment-1",
        remote_id="/cal/ours.ics",
        written_start=appointment.start_at,
        written_end=appointment.end_at,
        state=CalendarWrite.State.DONE,
    )
    ours = RemoteEvent(
        remote_id="/cal/ours.ics",
        starts_at=appointment.start_at,
        ends_at=appointment.end_at,
        voicehive_ref="voicehive-appointment-1",
    )
    fake.pages = [
        SyncPage(events=[ours, event("dentist", 10)], full=True, next_sync_token="t")
    ]
    sync.sync_connection(connection.pk)
    write.refresh_from_db()
    assert write.state == CalendarWrite.State.CONFLICT
    assert write.conflict == CalendarWrite.Conflict.CLASH
    appointment.refresh_from_db()
    assert appointment.is_active


def test_only_calendars_chosen_as_busy_block_time(calendar, fake):
    fake.pages = [SyncPage(events=[event("a", 9)], full=True, next_sync_token="t")]
    sync.sync_connection(calendar.connection_id)
    assert BusyBlock.objects.blocking().count() == 1
    ConnectedCalendar.objects.update(blocks_time=False)
    assert BusyBlock.objects.blocking().count() == 0
