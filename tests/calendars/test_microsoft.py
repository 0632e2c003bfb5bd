"""Microsoft Graph adapter against Graph's documented REST shapes (mocked with respx)."""

import datetime as dt
import json
import time

import httpx
import pytest

from apps.calendars import sync
from apps.calendars.models import BusyBlock, CalendarConnection, ConnectedCalendar
from apps.calendars.providers.base import (
    GrantRevoked,
    NotFound,
    OutboundEvent,
    ProviderError,
)
from apps.calendars.providers.graph_events import REF_PROPERTY
from apps.calendars.providers.microsoft import MicrosoftAdapter
from tests.appointments.factories import ProviderFactory

pytestmark = pytest.mark.django_db

GRAPH = "https://graph.microsoft.com/v1.0"
TOKEN_URL = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
CAL = "AAMkAGI2TGuLAAA="
EVENTS = f"{GRAPH}/me/calendars/AAMkAGI2TGuLAAA%3D/events"
DELTA = f"{GRAPH}/me/calendars/AAMkAGI2TGuLAAA%3D/calendarView/delta"
NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
START, END = NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=120)


@pytest.fixture(autouse=True)
def microsoft_app(settings, time_machine):
    time_machine.move_to(NOW, tick=False)
    settings.MICROSOFT_CLIENT_ID = "client-id"
    settings.MICROSOFT_CLIENT_SECRET = "client-secret"
    settings.MICROSOFT_TENANT = "common"
    settings.SITE_URL = "https://voicehive.example"


@pytest.fixture
def connection():
    provider = ProviderFactory()  # business in America/Chicago
    connection = CalendarConnection.objects.create(
        business=provider.business,
        provider=provider,
        kind="microsoft",
        account="stylist@contoso.com",
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
        name="Calendar",
        is_primary=True,
        blocks_time=True,
        receives_bookings=True,
    )


def outbound(ref="voicehive-appointment-9") -> OutboundEvent:
    return OutboundEvent(
        voicehive_ref=ref,
        summary="Beard trim: Sam",
        description="Booked by Roxy",
        starts_at=dt.datetime(2026, 12, 9, 16, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 12, 9, 16, 30, tzinfo=dt.UTC),
        time_zone="America/Chicago",
        location="Chair 2",
    )


def event(id_, start, end, **extra):
    return {
        "@odata.type": "#microsoft.graph.event",
        "@odata.etag": f'W/"{id_}"',
        "id": id_,
        "start": {"dateTime": f"{start}.0000000", "timeZone": "UTC"},
        "end": {"dateTime": f"{end}.0000000", "timeZone": "UTC"},
        "isAllDay": False,
        "showAs": "busy",
        "type": "singleInstance",
        "isCancelled": False,
        "responseStatus": {"response": "organizer"},
        **extra,
    }


# --- tokens ---


def test_refresh_stores_the_rotated_refresh_token(respx_mock, connection):
    connection.store_credentials(
        {"access_token": "old", "refresh_token": "rt-1", "expires_at": 0}
    )
    token = respx_mock.post(TOKEN_URL).respond(
        json={
            "access_token": "at-2",
            "refresh_token": "rt-2",
            "expires_in": 3600,
            "scope": "Calendars.ReadWrite",
        }
    )
    respx_mock.get(url__startswith=f"{GRAPH}/me/calendars").respond(
        json={
            "value": [
                {
                    "id": CAL,
                    "name": "Calendar",
                    "canEdit": True,
                    "isDefaultCalendar": True,
                }
            ]
        }
    )

    (only,) = MicrosoftAdapter().list_calendars(connection)

    assert only.is_primary and only.can_write
    sent = dict(httpx.QueryParams(token.calls.last.request.content.decode()))
    assert sent["grant_type"] == "refresh_token" and "offline_access" in sent["scope"]
    stored = CalendarConnection.objects.get(pk=connection.pk).credentials()
    assert stored["refresh_token"] == "rt-2" and stored["access_token"] == "at-2"


def test_invalid_grant_is_a_revoked_grant(respx_mock, connection, calendar):
    connection.store_credentials(
        {"access_token": "old", "refresh_token": "rt-1", "expires_at": 0}
    )
    respx_mock.post(TOKEN_URL).respond(
        400,
        json={"error": "invalid_grant", "error_description": "AADSTS70008: expired"},
    )

    with pytest.raises(GrantRevoked):
        MicrosoftAdapter().list_calendars(connection)
    assert sync.sync_connection(connection.pk, now=NOW) == "needs_reconnect"
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.NEEDS_RECONNECT
    assert "AADSTS" not in connection.last_error  # only the error code is kept


def test_429_carries_retry_after(respx_mock, connection, calendar):
    respx_mock.get(url__startswith=DELTA).respond(
        429, headers={"Retry-After": "12"}, json={"error": {"code": "TooManyRequests"}}
    )

    with pytest.raises(ProviderError) as caught:
        MicrosoftAdapter().sync(
            connection, calendar, window_start=START, window_end=END
        )

    assert caught.value.transient and caught.value.retry_after == 12


def test_list_calendars_follows_next_links(respx_mock, connection):
    respx_mock.get(url__startswith=f"{GRAPH}/me/calendars").mock(
        side_effect=[
            httpx.Response(
                200,
                json={
                    "value": [{"id": "a", "name": "A", "canEdit": True}],
                    "@odata.nextLink": f"{GRAPH}/me/calendars?$skip=1",
                },
            ),
            httpx.Response(
                200, json={"value": [{"id": "b", "name": "Holidays", "canEdit": False}]}
            ),
        ]
    )

    calendars = MicrosoftAdapter().list_calendars(connection)

    assert [(c.remote_id, c.can_write) for c in calendars] == [
        ("a", True),
        ("b", False),
    ]


# --- reading ---


def test_full_delta_maps_occurrences_all_day_free_declined_and_cancelled(
    respx_mock, connection, calendar
):
    first = {
        "value": [
            event("single", "2026-12-08T16:00:00", "2026-12-08T17:00:00"),
            event(
                "occ-1",
                "2026-12-09T15:00:00",
                "2026-12-09T16:00:00",
                type="occurrence",
                seriesMasterId="series",
            ),
            event(
                "occ-2",
                "2026-12-16T15:00:00",
                "2026-12-16T16:00:00",
                type="occurrence",
                seriesMasterId="series",
            ),
        ],
        "@odata.nextLink": f"{DELTA}?$skiptoken=page2",
    }
    second = {
        "value": [
            event(
                "holiday", "2026-12-10T00:00:00", "2026-12-11T00:00:00", isAllDay=True
            ),
            event("free", "2026-12-08T18:00:00", "2026-12-08T19:00:00", showAs="free"),
            event(
                "declined",
                "2026-12-08T19:00:00",
                "2026-12-08T20:00:00",
                responseStatus={"response": "declined"},
            ),
            event(
                "tentative",
                "2026-12-08T20:00:00",
                "2026-12-08T21:00:00",
                showAs="tentative",
            ),
            event(
                "called-off",
                "2026-12-08T21:00:00",
                "2026-12-08T22:00:00",
                isCancelled=True,
            ),
            event(
                "ours",
                "2026-12-09T16:00:00",
                "2026-12-09T16:30:00",
                transactionId="voicehive-appointment-9",
            ),
        ],
        "@odata.deltaLink": f"{DELTA}?$deltatoken=d1",
    }
    route = respx_mock.get(url__startswith=DELTA).mock(
        side_effect=[httpx.Response(200, json=first), httpx.Response(200, json=second)]
    )

    page = MicrosoftAdapter().sync(
        connection, calendar, window_start=START, window_end=END
    )

    request = route.calls[0].request
    assert request.url.params["startDateTime"] == "2026-12-06T15:00:00Z"
    assert 'outlook.timezone="UTC"' in request.headers["Prefer"]
    assert page.full and page.next_sync_token == f"2026-12-07|{DELTA}?$deltatoken=d1"
    events = {e.remote_id: e for e in page.events}
    assert events["single"].starts_at == dt.datetime(2026, 12, 8, 16, tzinfo=dt.UTC)
    assert {"occ-1", "occ-2"} <= set(events)
    holiday = events["holiday"]
    assert holiday.all_day
    assert holiday.starts_at.astimezone(dt.UTC) == dt.datetime(
        2026, 12, 10, 6, tzinfo=dt.UTC
    )
    assert not events["free"].blocks_time
    assert not events["declined"].blocks_time
    assert events["tentative"].blocks_time
    assert not events["called-off"].blocks_time
    assert events["ours"].voicehive_ref == "voicehive-appointment-9"


def test_incremental_delta_reports_removed_events(respx_mock, connection, calendar):
    link = f"{DELTA}?$deltatoken=d1"
    calendar.sync_token = f"2026-12-07|{link}"
    route = respx_mock.get(url__startswith=DELTA).respond(
        json={
            "value": [
                {
                    "@odata.type": "#microsoft.graph.event",
                    "id": "occ-2",
                    "@removed": {"reason": "deleted"},
                },
                event("new", "2026-12-11T16:00:00", "2026-12-11T17:00:00"),
            ],
            "@odata.deltaLink": f"{DELTA}?$deltatoken=d2",
        }
    )

    page = MicrosoftAdapter().sync(
        connection, calendar, window_start=START, window_end=END
    )

    assert str(route.calls.last.request.url) == link
    assert not page.full and page.removed_ids == ["occ-2"]
    assert [e.remote_id for e in page.events] == ["new"]
    assert page.next_sync_token.endswith("deltatoken=d2")


@pytest.mark.parametrize(
    "status,code", [(410, "SyncStateNotFound"), (400, "resyncRequired")]
)
def test_a_delta_reset_falls_back_to_a_full_listing(
    respx_mock, connection, calendar, status, code
):
    calendar.sync_token = f"2026-12-07|{DELTA}?$deltatoken=old"
    route = respx_mock.get(url__startswith=DELTA).mock(
        side_effect=[
            httpx.Response(
                status, json={"error": {"code": code, "message": "Resync required."}}
            ),
            httpx.Response(
                200, json={"value": [], "@odata.deltaLink": f"{DELTA}?$deltatoken=new"}
            ),
        ]
    )

    page = MicrosoftAdapter().sync(
        connection, calendar, window_start=START, window_end=END
    )

    assert page.full and page.next_sync_token.endswith("deltatoken=new")
    assert "startDateTime" in route.calls[1].request.url.params


def test_the_sync_engine_stores_graph_events(respx_mock, connection, calendar):
    respx_mock.get(url__startswith=DELTA).respond(
        json={
            "value": [event("single", "2026-12-08T16:00:00", "2026-12-08T17:00:00")],
            "@odata.deltaLink": f"{DELTA}?$deltatoken=d1",
        }
    )

    respx_mock.post(f"{GRAPH}/subscriptions").respond(
        201, json={"id": "sub-1", "expirationDateTime": "2026-12-10T09:00:00Z"}
    )

    assert sync.sync_connection(connection.pk, now=NOW) == "ok"

    calendar.refresh_from_db()
    assert calendar.channel_id == "sub-1"  # push opened after the good sync
    block = BusyBlock.objects.get(calendar=calendar)
    assert block.remote_id == "single" and block.blocks_time
    assert block.provider_id == connection.provider_id


# --- writing ---


class FakeGraphEvents:
    """Graph refusing a repeated transactionId, and the extended-property lookup."""

    def __init__(self):
        self.events = {}

    def create(self, request):
        body = json.loads(request.content)
        if any(
            e["transactionId"] == body["transactionId"] for e in self.events.values()
        ):
            return httpx.Response(
                409, json={"error": {"code": "ErrorDuplicateTransactionId"}}
            )
        new_id = f"AAMkEvent{len(self.events) + 1}"
        self.events[new_id] = {**body, "id": new_id}
        return httpx.Response(201, json={**body, "id": new_id, "@odata.etag": 'W/"1"'})

    def find(self, request):
        wanted = request.url.params["$filter"]
        hits = [
            {"id": k}
            for k, e in self.events.items()
            if f"ep/value eq '{e['transactionId']}'" in wanted
            and REF_PROPERTY in wanted
        ]
        return httpx.Response(200, json={"value": hits})

    def patch(self, request, event):
        self.events[event].update(json.loads(request.content))
        return httpx.Response(200, json={**self.events[event], "@odata.etag": 'W/"2"'})


def test_create_is_idempotent_by_transaction_id(respx_mock, connection, calendar):
    graph = FakeGraphEvents()
    create = respx_mock.post(EVENTS).mock(side_effect=graph.create)
    respx_mock.get(url__startswith=EVENTS).mock(side_effect=graph.find)
    respx_mock.patch(url__regex=rf"{GRAPH}/me/events/(?P<event>\w+)").mock(
        side_effect=graph.patch
    )
    adapter = MicrosoftAdapter()

    first = adapter.create_event(connection, calendar, outbound())
    again = adapter.create_event(connection, calendar, outbound())

    assert first.remote_id == again.remote_id == "AAMkEvent1"
    assert len(graph.events) == 1 and create.call_count == 2
    body = json.loads(create.calls[0].request.content)
    assert body["transactionId"] == "voicehive-appointment-9"
    assert body["singleValueExtendedProperties"] == [
        {"id": REF_PROPERTY, "value": "voicehive-appointment-9"}
    ]
    assert body["start"] == {"dateTime": "2026-12-09T16:00:00", "timeZone": "UTC"}
    assert body["location"] == {"displayName": "Chair 2"}


def test_update_of_a_deleted_event_raises_not_found_and_delete_tolerates_it(
    respx_mock, connection, calendar
):
    respx_mock.patch(f"{GRAPH}/me/events/gone").respond(
        404, json={"error": {"code": "ErrorItemNotFound"}}
    )
    respx_mock.delete(f"{GRAPH}/me/events/gone").respond(
        404, json={"error": {"code": "ErrorItemNotFound"}}
    )
    adapter = MicrosoftAdapter()

    with pytest.raises(NotFound):
        adapter.update_event(connection, calendar, "gone", outbound())
    adapter.delete_event(connection, calendar, "gone")


def test_free_busy_uses_get_schedule_for_the_default_calendar(
    respx_mock, connection, calendar
):
    other = ConnectedCalendar.objects.create(
        connection=connection, remote_id="side", name="Side", blocks_time=True
    )
    schedule = respx_mock.post(f"{GRAPH}/me/calendar/getSchedule").respond(
        json={
            "value": [
                {
                    "scheduleId": "stylist@contoso.com",
                    "scheduleItems": [
                        {
                            "status": "busy",
                            "start": {
                                "dateTime": "2026-12-08T16:00:00.0000000",
                                "timeZone": "UTC",
                            },
                            "end": {
                                "dateTime": "2026-12-08T17:00:00.0000000",
                                "timeZone": "UTC",
                            },
                        },
                        {
                            "status": "free",
                            "start": {
                                "dateTime": "2026-12-08T18:00:00.0000000",
                                "timeZone": "UTC",
                            },
                            "end": {
                                "dateTime": "2026-12-08T19:00:00.0000000",
                                "timeZone": "UTC",
                            },
                        },
                    ],
                }
            ]
        }
    )
    respx_mock.get(url__startswith=f"{GRAPH}/me/calendars/side/calendarView").respond(
        json={
            "value": [
                event("x", "2026-12-08T20:00:00", "2026-12-08T21:00:00", showAs="oof")
            ]
        }
    )

    busy = MicrosoftAdapter().free_busy(
        connection, [calendar, other], NOW, NOW + dt.timedelta(days=2), timeout=1.5
    )

    assert json.loads(schedule.calls.last.request.content)["schedules"] == [
        "stylist@contoso.com"
    ]
    assert busy == [
        (
            dt.datetime(2026, 12, 8, 16, tzinfo=dt.UTC),
            dt.datetime(2026, 12, 8, 17, tzinfo=dt.UTC),
        ),
        (
            dt.datetime(2026, 12, 8, 20, tzinfo=dt.UTC),
            dt.datetime(2026, 12, 8, 21, tzinfo=dt.UTC),
        ),
    ]


# --- subscriptions and revoking ---


def test_watch_creates_a_subscription_with_client_state(
    respx_mock, connection, calendar
):
    route = respx_mock.post(f"{GRAPH}/subscriptions").respond(
        201,
        json={
            "id": "sub-1",
            "resource": f"/me/calendars/{CAL}/events",
            "expirationDateTime": "2026-12-10T09:00:00.0000000Z",
        },
    )

    channel = MicrosoftAdapter().watch(connection, calendar)

    body = json.loads(route.calls.last.request.content)
    assert (
        body["notificationUrl"] == "https://voicehive.example/calendars/push/microsoft/"
    )
    assert body["lifecycleNotificationUrl"] == body["notificationUrl"]
    assert body["changeType"] == "created,updated,deleted"
    assert body["resource"] == f"/me/calendars/{CAL}/events"
    assert body["clientState"] == channel.token
    assert channel.channel_id == "sub-1"
    assert channel.expires_at == dt.datetime(2026, 12, 10, 9, tzinfo=dt.UTC)
    expiry = dt.datetime.fromisoformat(body["expirationDateTime"])
    assert expiry - NOW < dt.timedelta(minutes=4230)


def test_renewal_patches_the_expiry_or_resubscribes_when_gone(
    respx_mock, connection, calendar
):
    calendar.channel_id, calendar.channel_token = "sub-1", "state-1"
    patch = respx_mock.patch(f"{GRAPH}/subscriptions/sub-1").mock(
        side_effect=[
            httpx.Response(
                200, json={"id": "sub-1", "expirationDateTime": "2026-12-10T09:00:00Z"}
            ),
            httpx.Response(404, json={"error": {"code": "ResourceNotFound"}}),
        ]
    )
    respx_mock.post(f"{GRAPH}/subscriptions").respond(
        201, json={"id": "sub-2", "expirationDateTime": "2026-12-10T10:00:00Z"}
    )
    adapter = MicrosoftAdapter()

    renewed = adapter.renew_watch(connection, calendar)
    replaced = adapter.renew_watch(connection, calendar)

    assert "expirationDateTime" in json.loads(patch.calls[0].request.content)
    assert (renewed.channel_id, renewed.token) == ("sub-1", "state-1")
    assert renewed.expires_at == dt.datetime(2026, 12, 10, 9, tzinfo=dt.UTC)
    assert replaced.channel_id == "sub-2" and replaced.token != "state-1"


def test_revoke_sends_nothing_microsoft_has_no_revocation_endpoint(
    respx_mock, connection
):
    MicrosoftAdapter().revoke(connection)

    assert not respx_mock.calls
