"""Google Calendar adapter against Google's documented REST shapes (mocked with respx)."""

import datetime as dt
import json
import time

import httpx
import pytest

from apps.calendars import sync
from apps.calendars.models import (
    BusyBlock,
    CalendarConnection,
    ConnectedCalendar,
)
from apps.calendars.providers.base import (
    GrantRevoked,
    NotFound,
    OutboundEvent,
    ProviderError,
)
from apps.calendars.providers.google import GoogleAdapter, event_id
from tests.appointments.factories import ProviderFactory

pytestmark = pytest.mark.django_db

API = "https://www.googleapis.com/calendar/v3"
TOKEN_URL = "https://oauth2.googleapis.com/token"
CAL = "stylist@example.com"
EVENTS = f"{API}/calendars/stylist%40example.com/events"
NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
START, END = NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=120)


@pytest.fixture(autouse=True)
def google_app(settings, time_machine):
    time_machine.move_to(NOW, tick=False)
    settings.GOOGLE_OAUTH_CLIENT_ID = "client-id"
    settings.GOOGLE_OAUTH_CLIENT_SECRET = "client-secret"
    settings.SITE_URL = "https://voicehive.example"


@pytest.fixture
def connection():
    provider = ProviderFactory()  # business in America/Chicago
    connection = CalendarConnection.objects.create(
        business=provider.business,
        provider=provider,
        kind="google",
        account=CAL,
        status=CalendarConnection.Status.ACTIVE,
    )
    connection.store_credentials(
        {
            "access_token": "at-1",
            "refresh_token": "rt-1",
            "expires_at": time.time() + 3600,
        }
    )
    return connection


@pytest.fixture
def calendar(connection):
    return ConnectedCalendar.objects.create(
        connection=connection,
        remote_id=CAL,
        name="Work",
        is_primary=True,
        blocks_time=True,
        receives_bookings=True,
    )


def outbound(ref="voicehive-appointment-7") -> OutboundEvent:
    return OutboundEvent(
        voicehive_ref=ref,
        summary="Cut & colour: Dana",
        description="Booked by Roxy",
        starts_at=dt.datetime(2026, 12, 9, 16, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 12, 9, 17, 0, tzinfo=dt.UTC),
        time_zone="America/Chicago",
    )


def timed(id_, start, end, **extra):
    return {
        "id": id_,
        "status": "confirmed",
        "etag": f'"{id_}"',
        "start": {"dateTime": start, "timeZone": "America/Chicago"},
        "end": {"dateTime": end, "timeZone": "America/Chicago"},
        **extra,
    }


# --- tokens ---


def test_an_expired_access_token_is_refreshed_and_stored(respx_mock, connection):
    connection.store_credentials(
        {"access_token": "old", "refresh_token": "rt-1", "expires_at": time.time() - 5}
    )
    token = respx_mock.post(TOKEN_URL).respond(
        json={"access_token": "at-2", "expires_in": 3599, "token_type": "Bearer"}
    )
    listing = respx_mock.get(f"{API}/users/me/calendarList").respond(
        json={
            "items": [
                {"id": CAL, "summary": "Work", "primary": True, "accessRole": "owner"}
            ]
        }
    )

    calendars = GoogleAdapter().list_calendars(connection)

    assert [c.remote_id for c in calendars] == [CAL]
    assert calendars[0].is_primary and calendars[0].can_write
    sent = dict(httpx.QueryParams(token.calls.last.request.content.decode()))
    assert sent["grant_type"] == "refresh_token" and sent["refresh_token"] == "rt-1"
    assert listing.calls.last.request.headers["Authorization"] == "Bearer at-2"
    stored = CalendarConnection.objects.get(pk=connection.pk).credentials()
    assert stored["access_token"] == "at-2"
    assert stored["refresh_token"] == "rt-1"  # Google sends none on refresh: kept
    assert "at-2" not in CalendarConnection.objects.get(pk=connection.pk).secret


def test_a_401_refreshes_once_and_retries(respx_mock, connection):
    respx_mock.post(TOKEN_URL).respond(
        json={"access_token": "at-2", "expires_in": 3600}
    )
    listing = respx_mock.get(f"{API}/users/me/calendarList")
    listing.side_effect = [httpx.Response(401), httpx.Response(200, json={"items": []})]

    assert GoogleAdapter().list_calendars(connection) == []
    assert listing.calls[1].request.headers["Authorization"] == "Bearer at-2"


def test_a_revoked_grant_marks_the_connection_needs_reconnect(
    respx_mock, connection, calendar, admin_client
):
    connection.store_credentials(
        {"access_token": "old", "refresh_token": "rt-1", "expires_at": 0}
    )
    respx_mock.post(TOKEN_URL).respond(
        400,
        json={
            "error": "invalid_grant",
            "error_description": "Token has been expired or revoked.",
        },
    )

    with pytest.raises(GrantRevoked):
        GoogleAdapter().list_calendars(connection)
    assert sync.sync_connection(connection.pk) == "needs_reconnect"

    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.NEEDS_RECONNECT
    assert "invalid_grant" in connection.last_error
    page = admin_client.get("/admin/calendars/calendarconnection/")
    assert "Needs reconnecting" in page.content.decode()


def test_429_is_transient_with_retry_after(respx_mock, connection, calendar):
    respx_mock.get(EVENTS).respond(
        429, headers={"Retry-After": "30"}, json={"error": {"code": 429}}
    )

    with pytest.raises(ProviderError) as caught:
        GoogleAdapter().sync(connection, calendar, window_start=START, window_end=END)
    assert caught.value.transient and caught.value.retry_after == 30

    assert sync.sync_connection(connection.pk, now=NOW) == "error"
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.ERROR
    assert connection.next_sync_at == NOW + dt.timedelta(seconds=30)


def test_403_rate_limit_exceeded_is_transient_but_other_403s_are_not(
    respx_mock, connection, calendar
):
    limited = {
        "error": {
            "code": 403,
            "errors": [{"domain": "usageLimits", "reason": "rateLimitExceeded"}],
        }
    }
    forbidden = {
        "error": {"code": 403, "errors": [{"domain": "global", "reason": "forbidden"}]}
    }
    route = respx_mock.get(EVENTS)
    route.side_effect = [
        httpx.Response(403, json=limited),
        httpx.Response(403, json=forbidden),
    ]
    adapter = GoogleAdapter()

    with pytest.raises(ProviderError) as first:
        adapter.sync(connection, calendar, window_start=START, window_end=END)
    with pytest.raises(ProviderError) as second:
        adapter.sync(connection, calendar, window_start=START, window_end=END)

    assert first.value.transient and not second.value.transient


# --- reading ---


def test_full_sync_maps_timed_all_day_free_declined_and_recurring_events(
    respx_mock, connection, calendar
):
    items = [
        timed("single", "2026-12-08T10:00:00-06:00", "2026-12-08T11:00:00-06:00"),
        {
            "id": "dayoff",
            "status": "confirmed",
            "start": {"date": "2026-12-10"},
            "end": {"date": "2026-12-11"},
        },
        timed(
            "lunch",
            "2026-12-08T12:00:00-06:00",
            "2026-12-08T13:00:00-06:00",
            transparency="transparent",
        ),
        timed(
            "meeting",
            "2026-12-08T14:00:00-06:00",
            "2026-12-08T15:00:00-06:00",
            attendees=[{"email": CAL, "self": True, "responseStatus": "declined"}],
        ),
        timed(
            "maybe",
            "2026-12-08T16:00:00-06:00",
            "2026-12-08T17:00:00-06:00",
            status="tentative",
        ),
        timed(
            "yoga_20261209T150000Z",
            "2026-12-09T09:00:00-06:00",
            "2026-12-09T10:00:00-06:00",
            recurringEventId="yoga",
        ),
        timed(
            "yoga_20261216T150000Z",
            "2026-12-16T09:00:00-06:00",
            "2026-12-16T10:00:00-06:00",
            recurringEventId="yoga",
        ),
        timed(
            event_id("voicehive-appointment-7"),
            "2026-12-09T10:00:00-06:00",
            "2026-12-09T11:00:00-06:00",
            extendedProperties={"private": {"voicehiveRef": "voicehive-appointment-7"}},
        ),
    ]
    route = respx_mock.get(EVENTS).respond(
        json={"items": items, "nextSyncToken": "sync-1", "timeZone": "America/Chicago"}
    )

    page = GoogleAdapter().sync(
        connection, calendar, window_start=START, window_end=END
    )

    params = route.calls.last.request.url.params
    assert (
        params["singleEvents"] == "true" and params["timeMin"] == "2026-12-06T15:00:00Z"
    )
    assert "syncToken" not in params
    assert page.full and page.next_sync_token == "2026-12-07|sync-1"
    events = {e.remote_id: e for e in page.events}
    assert events["single"].starts_at == dt.datetime(2026, 12, 8, 16, 0, tzinfo=dt.UTC)
    assert events["single"].blocks_time and not events["single"].all_day
    day = events["dayoff"]
    assert day.all_day and day.blocks_time
    assert day.starts_at == dt.datetime(
        2026, 12, 10, 6, 0, tzinfo=dt.UTC
    )  # Chicago midnight
    assert day.ends_at - day.starts_at == dt.timedelta(days=1)
    assert not events["lunch"].blocks_time  # "free"
    assert not events["meeting"].blocks_time  # declined
    assert events["maybe"].blocks_time  # tentative blocks
    assert {"yoga#yoga_20261209T150000Z", "yoga#yoga_20261216T150000Z"} <= set(events)
    ours = events[event_id("voicehive-appointment-7")]
    assert ours.voicehive_ref == "voicehive-appointment-7"


def test_all_day_events_follow_dst_in_the_business_zone(
    respx_mock, connection, calendar
):
    respx_mock.get(EVENTS).respond(
        json={
            "items": [
                {
                    "id": "dst",
                    "status": "confirmed",
                    "start": {"date": "2027-03-14"},
                    "end": {"date": "2027-03-15"},
                }
            ],
            "nextSyncToken": "s",
        }
    )
    window_end = dt.datetime(2027, 4, 1, tzinfo=dt.UTC)

    (event,) = (
        GoogleAdapter()
        .sync(connection, calendar, window_start=START, window_end=window_end)
        .events
    )

    assert event.starts_at.astimezone(dt.UTC) == dt.datetime(
        2027, 3, 14, 6, 0, tzinfo=dt.UTC
    )
    assert event.ends_at.astimezone(dt.UTC) == dt.datetime(
        2027, 3, 15, 5, 0, tzinfo=dt.UTC
    )


def test_incremental_sync_uses_the_sync_token_and_reports_cancellations(
    respx_mock, connection, calendar
):
    calendar.sync_token = "2026-12-07|sync-1"
    route = respx_mock.get(EVENTS).respond(
        json={
            "items": [
                {
                    "id": "yoga_20261216T150000Z",
                    "status": "cancelled",
                    "recurringEventId": "yoga",
                },
                {"id": "gone", "status": "cancelled"},
                timed(
                    "moved-far",
                    "2027-06-01T10:00:00-05:00",
                    "2027-06-01T11:00:00-05:00",
                ),
                timed("new", "2026-12-11T10:00:00-06:00", "2026-12-11T11:00:00-06:00"),
            ],
            "nextSyncToken": "sync-2",
        }
    )

    page = GoogleAdapter().sync(
        connection, calendar, window_start=START, window_end=END
    )

    params = route.calls.last.request.url.params
    assert params["syncToken"] == "sync-1" and params["showDeleted"] == "true"
    assert "timeMin" not in params
    assert not page.full
    assert [e.remote_id for e in page.events] == ["new"]
    assert page.removed_ids == ["yoga#yoga_20261216T150000Z", "gone", "moved-far"]
    assert page.next_sync_token == "2026-12-07|sync-2"


def test_410_gone_on_the_sync_token_falls_back_to_a_full_sync(
    respx_mock, connection, calendar
):
    calendar.sync_token = "2026-12-07|expired"
    route = respx_mock.get(EVENTS)
    route.side_effect = [
        httpx.Response(
            410,
            json={"error": {"code": 410, "errors": [{"reason": "fullSyncRequired"}]}},
        ),
        httpx.Response(200, json={"items": [], "nextSyncToken": "fresh"}),
    ]

    page = GoogleAdapter().sync(
        connection, calendar, window_start=START, window_end=END
    )

    assert page.full and page.next_sync_token == "2026-12-07|fresh"
    assert "timeMin" in route.calls[1].request.url.params


def test_a_day_old_token_is_replaced_by_a_full_sync(respx_mock, connection, calendar):
    calendar.sync_token = "2026-12-06|sync-1"  # the window has slid since
    route = respx_mock.get(EVENTS).respond(json={"items": [], "nextSyncToken": "s"})

    assert (
        GoogleAdapter()
        .sync(connection, calendar, window_start=START, window_end=END)
        .full
    )
    assert "syncToken" not in route.calls.last.request.url.params


def test_pages_are_followed_and_stored_by_the_sync_engine(
    respx_mock, connection, calendar
):
    route = respx_mock.get(EVENTS)
    route.side_effect = [
        httpx.Response(
            200,
            json={
                "items": [timed("a", "2026-12-08T10:00:00Z", "2026-12-08T11:00:00Z")],
                "nextPageToken": "p2",
            },
        ),
        httpx.Response(
            200,
            json={
                "items": [
                    timed(
                        "b",
                        "2026-12-08T12:00:00Z",
                        "2026-12-08T13:00:00Z",
                        transparency="transparent",
                    )
                ],
                "nextSyncToken": "s",
            },
        ),
    ]

    respx_mock.post(f"{EVENTS}/watch").respond(
        json={"id": "chan-1", "resourceId": "res-1", "expiration": "1765724400000"}
    )

    assert sync.sync_connection(connection.pk, now=NOW) == "ok"

    assert route.calls[1].request.url.params["pageToken"] == "p2"
    blocks = {
        b.remote_id: b.blocks_time for b in BusyBlock.objects.filter(calendar=calendar)
    }
    assert blocks == {"a": True, "b": False}
    calendar.refresh_from_db()
    assert calendar.sync_token == "2026-12-07|s"
    assert calendar.channel_id == "chan-1"  # push opened after the good sync


# --- writing ---


class FakeGoogleEvents:
    """Just enough of events.insert / patch for idempotency: ids are unique."""

    def __init__(self):
        self.events = {}

    def insert(self, request):
        body = json.loads(request.content)
        if body["id"] in self.events:
            return httpx.Response(
                409,
                json={
                    "error": {
                        "code": 409,
                        "message": "The requested identifier already exists.",
                    }
                },
            )
        self.events[body["id"]] = {**body, "etag": '"1"', "status": "confirmed"}
        return httpx.Response(200, json=self.events[body["id"]])

    def patch(self, request, event):
        self.events[event].update(json.loads(request.content))
        return httpx.Response(200, json=self.events[event])


def test_create_is_idempotent_a_retry_makes_no_second_event(
    respx_mock, connection, calendar
):
    google = FakeGoogleEvents()
    insert = respx_mock.post(EVENTS).mock(side_effect=google.insert)
    respx_mock.patch(url__regex=rf"{EVENTS}/(?P<event>\w+)").mock(
        side_effect=google.patch
    )
    adapter = GoogleAdapter()

    first = adapter.create_event(connection, calendar, outbound())
    again = adapter.create_event(
        connection, calendar, outbound()
    )  # the answer was lost

    assert first.remote_id == again.remote_id == event_id("voicehive-appointment-7")
    assert len(google.events) == 1 and insert.call_count == 2
    body = json.loads(insert.calls[0].request.content)
    assert (
        body["extendedProperties"]["private"]["voicehiveRef"]
        == "voicehive-appointment-7"
    )
    assert body["start"] == {
        "dateTime": "2026-12-09T16:00:00Z",
        "timeZone": "America/Chicago",
    }
    assert insert.calls[0].request.url.params["sendUpdates"] == "none"


def test_event_ids_are_valid_for_google_and_differ_between_deployments(settings):
    ours = event_id("voicehive-appointment-7")
    assert (
        set(ours) <= set("0123456789abcdefghijklmnopqrstuv") and 5 <= len(ours) <= 1024
    )
    settings.SITE_URL = "https://staging.voicehive.example"
    assert event_id("voicehive-appointment-7") != ours


def test_updating_an_event_deleted_outside_raises_not_found(
    respx_mock, connection, calendar
):
    route = respx_mock.patch(f"{EVENTS}/ev1")
    route.side_effect = [
        httpx.Response(200, json={"id": "ev1", "status": "cancelled"}),
        httpx.Response(404, json={"error": {"code": 404}}),
    ]
    adapter = GoogleAdapter()

    with pytest.raises(NotFound):
        adapter.update_event(connection, calendar, "ev1", outbound())
    with pytest.raises(NotFound):
        adapter.update_event(connection, calendar, "ev1", outbound())


def test_deleting_an_already_deleted_event_succeeds(respx_mock, connection, calendar):
    respx_mock.delete(f"{EVENTS}/ev1").respond(410, json={"error": {"code": 410}})

    GoogleAdapter().delete_event(connection, calendar, "ev1")


def test_free_busy_returns_the_busy_intervals(respx_mock, connection, calendar):
    route = respx_mock.post(f"{API}/freeBusy").respond(
        json={
            "calendars": {
                CAL: {
                    "busy": [
                        {"start": "2026-12-08T16:00:00Z", "end": "2026-12-08T17:00:00Z"}
                    ]
                }
            }
        }
    )

    busy = GoogleAdapter().free_busy(
        connection, [calendar], NOW, NOW + dt.timedelta(days=2), timeout=1.5
    )

    assert busy == [
        (
            dt.datetime(2026, 12, 8, 16, tzinfo=dt.UTC),
            dt.datetime(2026, 12, 8, 17, tzinfo=dt.UTC),
        )
    ]
    assert json.loads(route.calls.last.request.content)["items"] == [{"id": CAL}]


def test_free_busy_errors_for_a_calendar_raise(respx_mock, connection, calendar):
    respx_mock.post(f"{API}/freeBusy").respond(
        json={
            "calendars": {
                CAL: {
                    "errors": [{"domain": "global", "reason": "notFound"}],
                    "busy": [],
                }
            }
        }
    )

    with pytest.raises(ProviderError):
        GoogleAdapter().free_busy(
            connection, [calendar], NOW, NOW + dt.timedelta(hours=1), timeout=1
        )


# --- push channels and revoking ---


def test_watch_opens_a_channel_with_a_secret_token(respx_mock, connection, calendar):
    route = respx_mock.post(f"{EVENTS}/watch").respond(
        json={
            "kind": "api#channel",
            "id": "chan-1",
            "resourceId": "res-1",
            "expiration": "1765724400000",
        }
    )

    channel = GoogleAdapter().watch(connection, calendar)

    body = json.loads(route.calls.last.request.content)
    assert body["type"] == "web_hook"
    assert body["address"] == "https://voicehive.example/calendars/push/google/"
    assert channel.token == body["token"] and len(channel.token) > 30
    assert channel.resource_id == "res-1"
    assert channel.expires_at == dt.datetime.fromtimestamp(1765724400, dt.UTC)


def test_no_channel_without_an_https_site(settings, respx_mock, connection, calendar):
    settings.SITE_URL = "http://localhost:8000"

    assert GoogleAdapter().watch(connection, calendar) is None


def test_stop_watch_and_revoke(respx_mock, connection, calendar):
    calendar.channel_id, calendar.channel_resource_id = "chan-1", "res-1"
    stop = respx_mock.post(f"{API}/channels/stop").respond(204)
    revoke = respx_mock.post("https://oauth2.googleapis.com/revoke").respond(200)
    adapter = GoogleAdapter()

    adapter.stop_watch(connection, calendar)
    adapter.revoke(connection)

    assert json.loads(stop.calls.last.request.content) == {
        "id": "chan-1",
        "resourceId": "res-1",
    }
    assert "token=rt-1" in revoke.calls.last.request.content.decode()


def test_the_just_in_time_budget_bounds_the_token_refresh_too(
    respx_mock, connection, calendar
):
    connection.store_credentials(
        {"access_token": "old", "refresh_token": "rt-1", "expires_at": 0}
    )
    token = respx_mock.post(TOKEN_URL).respond(
        json={"access_token": "at-2", "expires_in": 3600}
    )
    respx_mock.post(f"{API}/freeBusy").respond(json={"calendars": {CAL: {"busy": []}}})

    GoogleAdapter().free_busy(
        connection, [calendar], NOW, NOW + dt.timedelta(hours=1), timeout=1.5
    )

    assert token.calls.last.request.extensions["timeout"]["read"] == 1.5
