"""Push notifications: Google watch channels and Microsoft Graph subscriptions.

A notification only says "something changed in this calendar", so handling one is
cheap and does no provider I/O: check it is ours (channel id plus its secret token
or clientState, compared in constant time), mark the connection due
(`sync.request_sync`, a DB row first) and ring the worker. The scheduled sync
keeps data fresh when a notification is lost. Channels are opened, renewed (a
day before they expire) and stopped by the worker after each good sync
(`sync_channels`, called by sync.sync_connection), never inside a web request:
Graph calls our endpoint back to validate a subscription while it is being
created.

Push needs an https SITE_URL that Google and Microsoft can reach; without one no
channel is opened and the schedule alone keeps calendars fresh.
"""

import dataclasses
import datetime as dt
import logging

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from apps.calendars.models import CalendarConnection, ConnectedCalendar
from apps.calendars.providers import adapter_for
from apps.calendars.providers.base import GrantRevoked, ProviderError

logger = logging.getLogger(__name__)

PUSH_KINDS = ("google", "microsoft")
RENEW_BEFORE = dt.timedelta(hours=24)


@dataclasses.dataclass(frozen=True)
class Outcome:
    status: int
    body: dict


def notification_url(kind: str) -> str:
    """Where the provider posts notifications, or "" when push cannot work here."""
    if not settings.SITE_URL.startswith("https://"):
        return ""
    return settings.SITE_URL.rstrip("/") + reverse(f"calendars:push-{kind}")


# --- inbound ---


def google_notification(headers) -> Outcome:
    """One Google watch-channel notification (all it carries is in its headers)."""
    channel_id = headers.get("X-Goog-Channel-ID", "")
    calendar = _calendar_for("google", channel_id)
    if calendar is None:
        return Outcome(404, {"error": "unknown channel"})
    token_ok = bool(calendar.channel_token) and constant_time_compare(
        headers.get("X-Goog-Channel-Token", ""), calendar.channel_token
    )
    resource = headers.get("X-Goog-Resource-ID", "")
    if not token_ok or (
        calendar.channel_resource_id and resource != calendar.channel_resource_id
    ):
        return Outcome(403, {"error": "channel token does not match"})
    state = headers.get("X-Goog-Resource-State", "")
    if state == "sync":
        return Outcome(200, {"status": "channel open"})  # the handshake after watch
    if state not in ("exists", "not_exists"):
        return Outcome(200, {"status": "ignored"})
    _request_sync(calendar.connection_id)
    return Outcome(200, {"status": "sync requested"})


def microsoft_notifications(payload) -> Outcome:
    """A Graph batch: change notifications and lifecycle events, each checked by
    subscription id and clientState; the valid ones ask for a sync."""
    items = payload.get("value") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        return Outcome(400, {"error": "expected a JSON object with a value list"})
    accepted, connections = 0, set()
    for item in items:
        if not isinstance(item, dict):
            continue
        calendar = _calendar_for("microsoft", str(item.get("subscriptionId", "")))
        if (
            calendar is None
            or not calendar.channel_token
            or not constant_time_compare(
                str(item.get("clientState", "")), calendar.channel_token
            )
        ):
            continue
        accepted += 1
        _lifecycle(calendar, item.get("lifecycleEvent", ""))
        connections.add(calendar.connection_id)
    if not accepted:
        return Outcome(403, {"error": "unknown subscription or clientState"})
    for connection_id in connections:
        _request_sync(connection_id)
    return Outcome(202, {"accepted": accepted})


def _lifecycle(calendar, event: str) -> None:
    """reauthorizationRequired: renew after the sync this asks for; subscriptionRemoved:
    open a new one then. "missed" only asks for the sync (changes may be lost)."""
    if event == "reauthorizationRequired":
        ConnectedCalendar.objects.filter(pk=calendar.pk).update(
            channel_expires_at=timezone.now()
        )
    elif event == "subscriptionRemoved":
        _store(calendar, None)


def _calendar_for(kind: str, channel_id: str) -> ConnectedCalendar | None:
    if not channel_id:
        return None
    return (
        ConnectedCalendar.objects.filter(
            channel_id=channel_id,
            connection__kind=kind,
            connection__status__in=CalendarConnection.LIVE_STATUSES,
        )
        .only("pk", "connection_id", "channel_token", "channel_resource_id")
        .first()
    )


def _request_sync(connection_id: int) -> None:
    from apps.calendars import sync  # sync -> providers -> google -> push

    sync.request_sync(connection_id)


# --- outbound: opening, renewing, stopping ---


def sync_channels(connection, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Make the connection's channels match its chosen calendars: open missing
    ones, renew those expiring within a day, stop unwanted ones. Never raises:
    push only speeds things up (the schedule keeps syncing)."""
    counts = {"opened": 0, "renewed": 0, "stopped": 0, "failed": 0}
    if connection.kind not in PUSH_KINDS or not notification_url(connection.kind):
        return counts
    now = now or timezone.now()
    adapter = adapter_for(connection.kind)
    for calendar in _needing_work(
        ConnectedCalendar.objects.filter(connection=connection), now
    ):
        try:
            counts[_one(adapter, connection, calendar, now)] += 1
        except GrantRevoked:
            # The sync engine marks the connection; no other calendar would work.
            logger.info("Push channels of connection %s: grant revoked", connection.pk)
            counts["failed"] += 1
            break
        except ProviderError as exc:
            logger.warning("Push channel for calendar %s failed: %s", calendar.pk, exc)
            counts["failed"] += 1
        except Exception:  # a bug here must not fail the sync that called us
            logger.exception("Push channel for calendar %s failed", calendar.pk)
            counts["failed"] += 1
    return counts


def _needing_work(calendars, now):
    wanted = Q(blocks_time=True) | Q(receives_bookings=True)
    return calendars.filter(
        (wanted & Q(channel_id=""))
        | (wanted & ~Q(channel_id="") & Q(channel_expires_at__lt=now + RENEW_BEFORE))
        | (~wanted & ~Q(channel_id=""))
    )


def _one(adapter, connection, calendar, now) -> str:
    wanted = calendar.blocks_time or calendar.receives_bookings
    if not wanted:
        adapter.stop_watch(connection, calendar)
        _store(calendar, None)
        return "stopped"
    if calendar.channel_id:
        _store(calendar, adapter.renew_watch(connection, calendar))
        return "renewed"
    _store(calendar, adapter.watch(connection, calendar))
    return "opened"


def _store(calendar, channel) -> None:
    ConnectedCalendar.objects.filter(pk=calendar.pk).update(
        channel_id=channel.channel_id if channel else "",
        channel_resource_id=channel.resource_id if channel else "",
        channel_token=channel.token if channel else "",
        channel_expires_at=channel.expires_at if channel else None,
        updated_at=timezone.now(),
    )
