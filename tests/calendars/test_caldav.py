"""The CalDAV adapter against a real Radicale server on loopback."""

import datetime as dt
import zoneinfo

import pytest

from apps.calendars.providers.base import GrantRevoked, OutboundEvent
from apps.calendars.providers.caldav import CalDAVAdapter
from tests.appointments.factories import ProviderFactory
from tests.businesses.factories import BusinessFactory
from tests.calendars.conftest import connect_caldav
from tests.calendars.radicale import vevent

pytestmark = pytest.mark.django_db

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
UTC = dt.UTC
WINDOW = (dt.datetime(2026, 3, 1, tzinfo=UTC), dt.datetime(2026, 4, 30, tzinfo=UTC))


@pytest.fixture
def connected(radicale, caldav_calendar_url):
    business = BusinessFactory(timezone="America/Chicago")
    provider = ProviderFactory(business=business)
    connection, calendar = connect_caldav(provider, caldav_calendar_url, radicale)
    return connection, calendar


def sync(connection, calendar):
    page = CalDAVAdapter().sync(
        connection, calendar, window_start=WINDOW[0], window_end=WINDOW[1]
    )
    calendar.sync_token = page.next_sync_token
    return page


def test_lists_the_users_calendars(radicale, connected):
    connection, calendar = connected
    calendars = CalDAVAdapter().list_calendars(connection)
    assert calendar.remote_id in {c.remote_id for c in calendars}
    assert all(c.can_write for c in calendars)


def test_a_wrong_app_password_means_reconnect(radicale, connected):
    connection, calendar = connected
    connection.store_credentials({"password": "wrong"})
    with pytest.raises(GrantRevoked):
        CalDAVAdapter().list_calendars(connection)


def test_full_sync_reads_timed_all_day_free_and_tentative_events(
    radicale, connected, caldav_calendar_url
):
    connection, calendar = connected
    radicale.put_event(
        caldav_calendar_url, vevent("a", "20260310T150000Z", "20260310T160000Z")
    )
    radicale.put_event(caldav_calendar_url, vevent("b", "20260311", "20260312"))
    radicale.put_event(
        caldav_calendar_url,
        vevent("c", "20260312T150000Z", "20260312T160000Z", extra="TRANSP:TRANSPARENT"),
    )
    radicale.put_event(
        caldav_calendar_url,
        vevent("d", "20260313T150000Z", "20260313T160000Z", extra="STATUS:TENTATIVE"),
    )
    page = sync(connection, calendar)
    assert page.full and page.next_sync_token
    by_start = {e.starts_at: e for e in page.events}
    timed = by_start[dt.datetime(2026, 3, 10, 15, tzinfo=UTC)]
    assert timed.blocks_time and not timed.all_day
    # All day: the business's local day (Chicago, UTC-5 after the 8 March DST change).
    all_day = by_start[dt.datetime(2026, 3, 11, 5, tzinfo=UTC)]
    assert all_day.all_day and all_day.ends_at == dt.datetime(
        2026, 3, 12, 5, tzinfo=UTC
    )
    assert not by_start[dt.datetime(2026, 3, 12, 15, tzinfo=UTC)].blocks_time
    assert by_start[dt.datetime(2026, 3, 13, 15, tzinfo=UTC)].blocks_time


def test_recurring_events_expand_across_dst_with_exceptions(
    radicale, connected, caldav_calendar_url
):
    connection, calendar = connected
    # Every Friday 10:00 Chicago from 27 Feb (CST) past the 8 March change (CDT),
    # except the 13th of March, and with the 20th moved to 2 PM.
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//T//EN\r\n"
        "BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART;TZID=America/Chicago:20260227T100000\r\n"
        "DTEND;TZID=America/Chicago:20260227T110000\r\n"
        "RRULE:FREQ=WEEKLY;COUNT=5\r\nEXDATE;TZID=America/Chicago:20260313T100000\r\n"
        "SUMMARY:Gym\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20260101T000000Z\r\n"
        "RECURRENCE-ID;TZID=America/Chicago:20260320T100000\r\n"
        "DTSTART;TZID=America/Chicago:20260320T140000\r\n"
        "DTEND;TZID=America/Chicago:20260320T150000\r\n"
        "SUMMARY:Gym (moved)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    radicale.put_event(caldav_calendar_url, ics, name="weekly.ics")
    page = sync(connection, calendar)
    starts = sorted(e.starts_at.astimezone(CHICAGO) for e in page.events)
    assert [(s.month, s.day, s.hour) for s in starts] == [
        (3, 6, 10),
        (3, 20, 14),
        (3, 27, 10),
    ]  # 27 Feb is before the window
    assert len({e.remote_id for e in page.events}) == 3
    assert starts[0].utcoffset() == dt.timedelta(hours=-6)
    assert starts[2].utcoffset() == dt.timedelta(hours=-5)


def test_incremental_sync_reports_changes_and_removals(
    radicale, connected, caldav_calendar_url
):
    connection, calendar = connected
    first = radicale.put_event(
        caldav_calendar_url, vevent("x", "20260310T150000Z", "20260310T160000Z")
    )
    sync(connection, calendar)
    radicale.put_event(
        caldav_calendar_url, vevent("y", "20260317T150000Z", "20260317T160000Z")
    )
    radicale.delete(first)
    page = sync(connection, calendar)
    assert not page.full
    assert [e.starts_at.day for e in page.events] == [17]
    removed_paths = {r for r in page.removed_ids if r.endswith(first.rsplit("/", 1)[1])}
    assert removed_paths


def test_an_unknown_sync_token_falls_back_to_a_full_sync(radicale, connected):
    connection, calendar = connected
    sync(connection, calendar)
    day, _, _ = calendar.sync_token.partition("|")
    calendar.sync_token = f"{day}|http://radicale.org/ns/sync/nonsense"
    assert sync(connection, calendar).full


def test_writes_are_idempotent_and_carry_our_reference(
    radicale, connected, caldav_calendar_url
):
    connection, calendar = connected
    adapter = CalDAVAdapter()
    event = OutboundEvent(
        voicehive_ref="voicehive-appointment-7",
        summary="Haircut – Ana",
        description="With Sam.",
        starts_at=dt.datetime(2026, 3, 10, 15, tzinfo=UTC),
        ends_at=dt.datetime(2026, 3, 10, 16, tzinfo=UTC),
        time_zone="America/Chicago",
    )
    first = adapter.create_event(connection, calendar, event)
    again = adapter.create_event(connection, calendar, event)  # a retried create
    assert first.remote_id == again.remote_id
    assert len(radicale.list_events(caldav_calendar_url)) == 1
    page = sync(connection, calendar)
    assert [(e.remote_id, e.voicehive_ref) for e in page.events] == [
        (first.remote_id, "voicehive-appointment-7")
    ]
    moved = OutboundEvent(
        **{
            **event.__dict__,
            "starts_at": event.starts_at + dt.timedelta(hours=2),
            "ends_at": event.ends_at + dt.timedelta(hours=2),
        }
    )  # noqa: E501
    adapter.update_event(connection, calendar, first.remote_id, moved)
    (text,) = radicale.list_events(caldav_calendar_url).values()
    assert "DTSTART:20260310T170000Z" in text
    adapter.delete_event(connection, calendar, first.remote_id)
    adapter.delete_event(connection, calendar, first.remote_id)  # already gone: fine
    assert radicale.list_events(caldav_calendar_url) == {}


def test_free_busy_answers_busy_intervals(radicale, connected, caldav_calendar_url):
    connection, calendar = connected
    radicale.put_event(
        caldav_calendar_url, vevent("f", "20260310T150000Z", "20260310T160000Z")
    )
    busy = CalDAVAdapter().free_busy(connection, [calendar], *WINDOW, timeout=2.0)
    assert busy == [
        (
            dt.datetime(2026, 3, 10, 15, tzinfo=UTC),
            dt.datetime(2026, 3, 10, 16, tzinfo=UTC),
        )
    ]
