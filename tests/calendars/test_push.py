"""Push endpoints (public, verified) and the opening/renewal of channels."""

import datetime as dt
import json
import time

import pytest
from django.test import Client

from apps.calendars import push
from apps.calendars.models import CalendarConnection, ConnectedCalendar
from tests.appointments.factories import ProviderFactory

pytestmark = pytest.mark.django_db

GOOGLE_URL = "/calendars/push/google/"
MS_URL = "/calendars/push/microsoft/"
GOOGLE_API = "https://www.googleapis.com/calendar/v3"
GRAPH = "https://graph.microsoft.com/v1.0"
NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def site(settings, time_machine):
    time_machine.move_to(NOW, tick=False)
    settings.SITE_URL = "https://voicehive.example"
    settings.GOOGLE_OAUTH_CLIENT_ID = settings.MICROSOFT_CLIENT_ID = "client"
    settings.GOOGLE_OAUTH_CLIENT_SECRET = settings.MICROSOFT_CLIENT_SECRET = "secret"


@pytest.fixture
def public():
    """No session, and CSRF enforced like a real outside caller."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def rung(mocker):
    return mocker.patch("apps.calendars.tasks.sync_calendar_connection.delay")


def watched(kind, channel_id="chan-1", token="tok-1", resource="res-1", **fields):
    provider = ProviderFactory()
    connection = CalendarConnection.objects.create(
        business=provider.business,
        provider=provider,
        kind=kind,
        account="someone@example.com",
        status=fields.pop("status", CalendarConnection.Status.ACTIVE),
        next_sync_at=NOW + dt.timedelta(minutes=5),
    )
    connection.store_credentials(
        {"access_token": "at", "refresh_token": "rt", "expires_at": time.time() + 3600}
    )
    calendar = ConnectedCalendar.objects.create(
        connection=connection,
        remote_id="cal-1",
        name="Work",
        is_primary=True,
        blocks_time=fields.pop("blocks_time", True),
        channel_id=channel_id,
        channel_token=token,
        channel_resource_id=resource,
        channel_expires_at=fields.pop("expires", NOW + dt.timedelta(days=5)),
        **fields,
    )
    return connection, calendar


def goog(channel="chan-1", token="tok-1", state="exists", resource="res-1"):
    return {
        "HTTP_X_GOOG_CHANNEL_ID": channel,
        "HTTP_X_GOOG_CHANNEL_TOKEN": token,
        "HTTP_X_GOOG_RESOURCE_ID": resource,
        "HTTP_X_GOOG_RESOURCE_STATE": state,
        "HTTP_X_GOOG_MESSAGE_NUMBER": "7",
    }


def due_now(connection) -> bool:
    return CalendarConnection.objects.get(pk=connection.pk).next_sync_at is None


# --- Google ---


def test_a_google_change_marks_the_connection_due_and_rings(public, rung):
    connection, _ = watched("google")

    response = public.post(GOOGLE_URL, **goog())

    assert response.status_code == 200
    assert response.json() == {"status": "sync requested"}
    assert due_now(connection)
    rung.assert_called_once_with(connection.pk)


def test_googles_sync_handshake_is_acknowledged_and_changes_nothing(public, rung):
    connection, _ = watched("google")

    response = public.post(GOOGLE_URL, **goog(state="sync"))

    assert response.status_code == 200 and not due_now(connection)
    rung.assert_not_called()


@pytest.mark.parametrize(
    "headers,status",
    [
        (goog(channel="unknown"), 404),
        (goog(channel=""), 404),
        (goog(token="forged"), 403),
        (goog(token=""), 403),
        (goog(resource="someone-elses"), 403),
    ],
)
def test_unverified_google_notifications_do_nothing(public, rung, headers, status):
    connection, _ = watched("google")

    response = public.post(GOOGLE_URL, **headers)

    assert response.status_code == status
    assert "error" in response.json()
    assert not due_now(connection)
    rung.assert_not_called()


def test_a_channel_of_a_disconnected_connection_is_unknown(public, rung):
    connection, _ = watched("google", status=CalendarConnection.Status.DISCONNECTED)

    assert public.post(GOOGLE_URL, **goog()).status_code == 404
    rung.assert_not_called()


def test_a_google_channel_id_does_not_open_the_microsoft_endpoint(public, rung):
    watched("google")

    response = public.post(
        MS_URL,
        json.dumps({"value": [{"subscriptionId": "chan-1", "clientState": "tok-1"}]}),
        content_type="application/json",
    )

    assert response.status_code == 403
    rung.assert_not_called()


def test_push_endpoints_only_take_post(public):
    assert public.get(GOOGLE_URL).status_code == 405
    assert public.get(MS_URL).status_code == 405


# --- Microsoft ---


def test_graph_validation_handshake_echoes_the_token_as_plain_text(public, rung):
    response = public.post(
        f"{MS_URL}?validationToken=Validation%3A%20Testing%20client%20application"
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"Validation: Testing client application"
    rung.assert_not_called()


def test_graph_change_notifications_ring_one_sync_per_connection(public, rung):
    connection, _ = watched("microsoft", channel_id="sub-1", token="state-1")
    item = {
        "subscriptionId": "sub-1",
        "clientState": "state-1",
        "changeType": "updated",
        "resource": "Users/x/Events/y",
        "tenantId": "t",
    }

    response = public.post(
        MS_URL,
        json.dumps({"value": [item, {**item, "changeType": "created"}]}),
        content_type="application/json",
    )

    assert response.status_code == 202 and response.json() == {"accepted": 2}
    assert due_now(connection)
    rung.assert_called_once_with(connection.pk)


def test_graph_notifications_with_a_wrong_client_state_do_nothing(public, rung):
    connection, _ = watched("microsoft", channel_id="sub-1", token="state-1")

    response = public.post(
        MS_URL,
        json.dumps({"value": [{"subscriptionId": "sub-1", "clientState": "guess"}]}),
        content_type="application/json",
    )

    assert response.status_code == 403 and "error" in response.json()
    assert not due_now(connection)
    rung.assert_not_called()


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"value": 3}'])
def test_malformed_graph_bodies_are_400(public, rung, body):
    response = public.post(MS_URL, body, content_type="application/json")

    assert response.status_code == 400
    rung.assert_not_called()


def test_graph_lifecycle_events(public, rung):
    removed_conn, removed = watched("microsoft", channel_id="sub-1", token="s1")
    _, reauth = watched("microsoft", channel_id="sub-2", token="s2")

    response = public.post(
        MS_URL,
        json.dumps(
            {
                "value": [
                    {
                        "subscriptionId": "sub-1",
                        "clientState": "s1",
                        "lifecycleEvent": "subscriptionRemoved",
                    },
                    {
                        "subscriptionId": "sub-2",
                        "clientState": "s2",
                        "lifecycleEvent": "reauthorizationRequired",
                    },
                ]
            }
        ),
        content_type="application/json",
    )

    assert response.status_code == 202
    removed.refresh_from_db()
    reauth.refresh_from_db()
    assert removed.channel_id == "" and removed.channel_token == ""
    assert reauth.channel_expires_at == NOW  # the renewal beat takes it next
    assert due_now(removed_conn) and rung.call_count == 2


# --- opening, renewing and stopping channels ---


def test_sync_channels_opens_renews_and_stops_channels(respx_mock):
    _, new = watched("google", channel_id="", token="", resource="", expires=None)
    _, expiring = watched(
        "microsoft", channel_id="sub-9", token="s9", expires=NOW + dt.timedelta(hours=3)
    )
    _, unwanted = watched("google", channel_id="old", blocks_time=False)
    _, fine = watched("google", channel_id="fine", expires=NOW + dt.timedelta(days=6))
    watch = respx_mock.post(f"{GOOGLE_API}/calendars/cal-1/events/watch").respond(
        json={
            "id": "chan-new",
            "resourceId": "res-new",
            "expiration": str(int((NOW + dt.timedelta(days=7)).timestamp() * 1000)),
        }
    )
    patch = respx_mock.patch(f"{GRAPH}/subscriptions/sub-9").respond(
        json={"id": "sub-9", "expirationDateTime": "2026-12-10T09:00:00Z"}
    )
    stop = respx_mock.post(f"{GOOGLE_API}/channels/stop").respond(204)

    counts = {"opened": 0, "renewed": 0, "stopped": 0, "failed": 0}
    for connection in CalendarConnection.objects.all():
        for key, value in push.sync_channels(connection, now=NOW).items():
            counts[key] += value

    assert counts == {"opened": 1, "renewed": 1, "stopped": 1, "failed": 0}
    assert watch.call_count == patch.call_count == stop.call_count == 1
    for row in (new, expiring, unwanted, fine):
        row.refresh_from_db()
    assert (new.channel_id, new.channel_resource_id) == ("chan-new", "res-new")
    assert new.channel_token and new.channel_expires_at == NOW + dt.timedelta(days=7)
    assert expiring.channel_expires_at == dt.datetime(2026, 12, 10, 9, tzinfo=dt.UTC)
    assert unwanted.channel_id == ""
    assert fine.channel_id == "fine"


def test_a_provider_error_is_counted_not_raised(respx_mock):
    connection, _ = watched(
        "google", channel_id="", token="", resource="", expires=None
    )
    respx_mock.post(f"{GOOGLE_API}/calendars/cal-1/events/watch").respond(
        400,
        json={
            "error": {"code": 400, "message": "push not supported for this calendar"}
        },
    )

    assert push.sync_channels(connection, now=NOW)["failed"] == 1


def test_no_channels_without_an_https_site(settings, respx_mock):
    settings.SITE_URL = "http://localhost:8000"
    connection, _ = watched(
        "google", channel_id="", token="", resource="", expires=None
    )

    assert push.sync_channels(connection)["opened"] == 0
    assert not respx_mock.calls
