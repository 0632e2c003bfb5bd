"""Connecting, disconnecting and resyncing calendars, and the just-in-time check
Roxy makes before booking."""

import datetime as dt
import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from apps.calendars import sync
from apps.calendars.models import (
    BusyBlock,
    CalendarConnection,
    CalendarWrite,
    ConnectedCalendar,
)
from apps.calendars.outbox import requeue_writes
from apps.calendars.providers import adapter_for

logger = logging.getLogger(__name__)


def connect_caldav(
    *, business, provider, server_url: str, username: str, password: str, user=None
) -> CalendarConnection:
    """Check the account by listing its calendars, then store it (password encrypted).

    Raises ProviderError (GrantRevoked for a refused password) and stores nothing.
    The first writable calendar receives bookings and every calendar counts as busy
    until staff choose otherwise.
    """
    connection = CalendarConnection(
        business=business,
        provider=provider,
        kind="caldav",
        account=username,
        server_url=server_url,
        connected_by=user,
        status=CalendarConnection.Status.ACTIVE,
    )
    connection.store_credentials({"password": password})
    remote = adapter_for("caldav").list_calendars(connection)
    with transaction.atomic():
        connection.save()
        store_calendar_list(connection, remote, choose_defaults=True)
    sync.request_sync(connection.pk)
    return connection


def store_calendar_list(connection, remote, *, choose_defaults: bool) -> None:
    """Record the account's calendars (new ones appear unselected unless defaults)."""
    known = set(connection.calendars.values_list("remote_id", flat=True))
    booking_chosen = connection.calendars.filter(receives_bookings=True).exists()
    for item in remote:
        if item.remote_id in known:
            continue
        books = choose_defaults and not booking_chosen and item.can_write
        booking_chosen = booking_chosen or books
        ConnectedCalendar.objects.create(
            connection=connection,
            remote_id=item.remote_id,
            name=item.name,
            is_primary=item.is_primary,
            can_write=item.can_write,
            blocks_time=choose_defaults,
            receives_bookings=books,
        )


def activate(connection) -> None:
    """The connection works again (reconnected): sync now, write what waited."""
    CalendarConnection.objects.filter(pk=connection.pk).update(
        status=CalendarConnection.Status.ACTIVE, last_error="", failures=0
    )
    requeue_writes(
        CalendarWrite.objects.filter(
            calendar__connection=connection, state=CalendarWrite.State.FAILED
        )
    )
    sync.request_sync(connection.pk)


def disconnect(connection) -> None:
    """Stop using the calendar: give the grant back where possible, forget its busy
    time and secret. Events VoiceHive already wrote stay in the person's calendar."""
    adapter = adapter_for(connection.kind)
    for calendar in connection.calendars.exclude(channel_id=""):
        _quietly(adapter.stop_watch, connection, calendar)
    _quietly(adapter.revoke, connection)
    with transaction.atomic():
        BusyBlock.objects.filter(calendar__connection=connection).delete()
        connection.calendars.update(
            receives_bookings=False, blocks_time=False, sync_token=""
        )
        CalendarConnection.objects.filter(pk=connection.pk).update(
            status=CalendarConnection.Status.DISCONNECTED,
            secret="",
            next_sync_at=None,
            updated_at=timezone.now(),
        )


def _quietly(call, *args) -> None:
    try:
        call(*args)
    except Exception:  # best effort: the provider may already have dropped it
        logger.warning(
            "Calendar %s failed during disconnect", call.__name__, exc_info=True
        )


def forget_sync_tokens(connections) -> list[int]:
    """The live connections' ids, their calendars' sync tokens forgotten: their next
    sync lists everything again."""
    ids = list(connections.live().values_list("id", flat=True))
    ConnectedCalendar.objects.filter(connection_id__in=ids).update(sync_token="")
    return ids


def resync(connections) -> int:
    """Forget sync tokens and queue a sync from scratch (staff's *Sync now*, the
    operator's command)."""
    ids = forget_sync_tokens(connections)
    for connection_id in ids:
        sync.request_sync(connection_id)
    return len(ids)


def outside_busy_intervals(
    provider, start: dt.datetime, end: dt.datetime, *, timeout: float | None = None
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Ask the provider's outside calendars, right now, what is busy in [start, end).

    Roxy's guard against a race with the outside calendar (an event added seconds
    ago, not synced yet). Fails open: a calendar that errs or does not answer within
    the budget (CALENDAR_BOOKING_CHECK_TIMEOUT_SECONDS in all) counts as free, since
    the stored busy time already said free and the next sync shows staff any clash.
    Without connected calendars it costs one query and no waiting.
    """
    budget = (
        settings.CALENDAR_BOOKING_CHECK_TIMEOUT_SECONDS if timeout is None else timeout
    )
    connections = list(
        CalendarConnection.objects.live()
        .filter(business_id=provider.business_id)
        .filter(Q(provider=provider) | Q(provider__isnull=True))
        .filter(
            Exists(
                ConnectedCalendar.objects.filter(
                    connection=OuterRef("pk"), blocks_time=True
                )
            )
        )
        .select_related("business")
        .order_by()
    )
    deadline = time.monotonic() + budget
    found: list[tuple[dt.datetime, dt.datetime]] = []
    for connection in connections:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            logger.info("Just-in-time calendar check out of time: failing open")
            break
        calendars = list(connection.calendars.filter(blocks_time=True))
        try:
            busy = adapter_for(connection.kind).free_busy(
                connection, calendars, start, end, timeout=remaining
            )
        except Exception as exc:  # ProviderError or a bug: fail open, keep the call
            logger.info("Just-in-time calendar check failed open: %s", exc)
            continue
        overlapping = [(s, e) for s, e in busy if s < end and e > start]
        if overlapping:
            sync.request_sync(connection.pk)  # store it for every later question too
            found.extend(overlapping)
    return found
