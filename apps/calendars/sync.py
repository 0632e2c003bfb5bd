"""Keeping busy time: apply what a provider's calendars say to stored BusyBlocks.

Availability reads only BusyBlock rows, so a phone call never waits on Google,
Microsoft or a CalDAV server. Each live connection is synced on a schedule
(`sync_due`, bounded per beat) and again as soon as a push notification arrives
(`request_sync`). Syncing also watches VoiceHive's own events in the booking
calendar: one moved or deleted outside becomes a conflict for staff (the
appointment is never cancelled or moved by it, and the moved event blocks its new
time like any other event).

Two syncs of one connection never overlap: each claims the row first (a push may
ring one while the scheduled one runs); a sync asked for meanwhile is run again
by the holder once it is done, so no pushed change waits for the next beat.

The window ahead covers the business's booking horizon (see `window`), and each
calendar records the end of its last full listing (`synced_until`): availability
counts the time after it as busy, so an unsynced event is never silently booked.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.calendars import outbox
from apps.calendars.models import (
    BusyBlock,
    CalendarConnection,
    CalendarWrite,
    ConnectedCalendar,
)
from apps.calendars.outbox import ACTIVE_STATUSES
from apps.calendars.providers import adapter_for
from apps.calendars.providers.base import GrantRevoked, ProviderError, SyncPage
from apps.core.doorbell import ring

logger = logging.getLogger(__name__)

# Longer than any sync takes (a few requests per calendar, each within
# CALENDAR_HTTP_TIMEOUT_SECONDS); only a dead worker's claim ever lapses.
SYNC_CLAIM_SECONDS = 600
# Google, Microsoft and CalDAV keep a full listing's window for up to a day before
# listing again, and the horizon counts local days from today: list this many days
# past the horizon so the last bookable day is always covered.
HORIZON_MARGIN_DAYS = 3


def request_sync(connection_id: int) -> bool:
    """Ask the worker to sync one connection now (a push notification arrived)."""
    from apps.calendars import tasks  # tasks imports this module

    CalendarConnection.objects.filter(pk=connection_id).update(next_sync_at=None)
    return ring(tasks.sync_calendar_connection, connection_id, what="calendar sync")


def window(now: dt.datetime, horizon_days: int = 0) -> tuple[dt.datetime, dt.datetime]:
    """The span a full listing covers: CALENDAR_SYNC_DAYS_AHEAD, or further when
    the business takes bookings further ahead (Business.booking_horizon_days)."""
    ahead = max(settings.CALENDAR_SYNC_DAYS_AHEAD, horizon_days + HORIZON_MARGIN_DAYS)
    return (
        now - dt.timedelta(days=settings.CALENDAR_SYNC_DAYS_BACK),
        now + dt.timedelta(days=ahead),
    )


def _covers_horizon(calendar, now: dt.datetime, horizon_days: int) -> bool:
    """False when the last full listing stops short of the horizon (it grew): list
    again now rather than follow a token that keeps the old window."""
    needed = now + dt.timedelta(days=horizon_days + HORIZON_MARGIN_DAYS - 1)
    return calendar.synced_until is None or calendar.synced_until >= needed


def sync_due(now: dt.datetime | None = None) -> dict[str, int]:
    """Ring a sync for at most CALENDAR_SYNC_BATCH_SIZE due connections, oldest first.

    Bounded work per beat whatever the number of connections: each run claims a
    batch by pushing its next_sync_at forward (so the next beat takes the next
    batch), and the sync task itself does the provider I/O in parallel workers.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # skip_locked: two beats (a second scheduler, a manual run) take different
        # batches instead of both ringing the same connections.
        ids = list(
            CalendarConnection.objects.due_for_sync(now)
            .select_for_update(skip_locked=True)
            .order_by(F("next_sync_at").asc(nulls_first=True))
            .values_list("id", flat=True)[: settings.CALENDAR_SYNC_BATCH_SIZE]
        )
        # Claimed for one beat's grace: a lost doorbell is rung again soon after.
        CalendarConnection.objects.filter(id__in=ids).update(
            next_sync_at=now + dt.timedelta(minutes=5)
        )
    from apps.calendars import tasks

    rung = sum(
        ring(tasks.sync_calendar_connection, pk, what="calendar sync") for pk in ids
    )
    return {"due": len(ids), "enqueued": rung}


def sync_connection(connection_id: int, *, now: dt.datetime | None = None) -> str:
    """Sync every busy or booking calendar of one connection; returns the outcome
    ("busy" when another sync of it is running: that one syncs again after)."""
    now = now or timezone.now()
    if not _claim(connection_id, now):
        return "busy"
    try:
        return _sync_claimed(connection_id, now)
    finally:
        _release(connection_id)


def _claim(connection_id: int, now: dt.datetime) -> bool:
    """Take the connection for one sync, or ask its current holder to sync again.

    One conditional UPDATE each: on PostgreSQL a concurrent claim waits for the
    row, then finds it taken. The request is recorded only while the claim is
    held; if the holder let go in between, try to claim again.
    """
    lapsed = now - dt.timedelta(seconds=SYNC_CLAIM_SECONDS)
    rows = CalendarConnection.objects.filter(pk=connection_id)
    for _ in range(3):
        free = Q(sync_claimed_at__isnull=True) | Q(sync_claimed_at__lt=lapsed)
        if rows.filter(free).update(sync_claimed_at=now, sync_again=False):
            return True
        if rows.filter(sync_claimed_at__isnull=False).update(sync_again=True):
            logger.info("Calendar connection %s is syncing: again after", connection_id)
            return False
        if not rows.exists():
            return False
    return False


def _release(connection_id: int) -> None:
    rows = CalendarConnection.objects.filter(pk=connection_id)
    rows.update(sync_claimed_at=None)
    if rows.filter(sync_again=True).update(sync_again=False):
        request_sync(connection_id)  # a push arrived while we were listing


def _sync_claimed(connection_id: int, now: dt.datetime) -> str:
    connection = (
        CalendarConnection.objects.filter(pk=connection_id)
        .select_related("business")
        .first()
    )
    if connection is None or not connection.is_live:
        return "skipped"
    adapter = adapter_for(connection.kind)
    horizon = connection.business.booking_horizon_days
    start, end = window(now, horizon)
    calendars = connection.calendars.filter(
        Q(blocks_time=True) | Q(receives_bookings=True)
    )
    try:
        for calendar in calendars:
            if not _covers_horizon(calendar, now, horizon):
                calendar.sync_token = ""  # the adapters list in full without one
            page = adapter.sync(
                connection, calendar, window_start=start, window_end=end
            )
            apply_page(connection, calendar, page, now=now)
            if calendar.receives_bookings:
                outbox.write_upcoming(calendar, now)
    except GrantRevoked as exc:
        mark_needs_reconnect(connection, str(exc))
        return "needs_reconnect"
    except ProviderError as exc:
        _record_error(connection, exc, now)
        return "error"
    CalendarConnection.objects.filter(pk=connection.pk).update(
        status=CalendarConnection.Status.ACTIVE,
        last_synced_at=now,
        next_sync_at=now
        + dt.timedelta(seconds=settings.CALENDAR_SYNC_INTERVAL_SECONDS),
        failures=0,
        last_error="",
        updated_at=now,
    )
    # Push channels (Google, Microsoft) are opened or renewed after a good sync,
    # outside any web request; cheap when all exist, a no-op for CalDAV, never raises.
    from apps.calendars import push  # push imports sync

    push.sync_channels(connection, now=now)
    return "ok"


def _record_error(connection, exc: ProviderError, now: dt.datetime) -> None:
    failures = connection.failures + 1
    delay = exc.retry_after or min(60 * 2**failures, 3600)
    CalendarConnection.objects.filter(pk=connection.pk).update(
        status=CalendarConnection.Status.ERROR,
        failures=failures,
        last_error=str(exc)[:2000],
        last_error_at=now,
        next_sync_at=now + dt.timedelta(seconds=delay),
        updated_at=now,
    )
    logger.warning("Calendar connection %s sync failed: %s", connection.pk, exc)


def mark_needs_reconnect(connection, error: str) -> None:
    now = timezone.now()
    CalendarConnection.objects.filter(pk=connection.pk).update(
        status=CalendarConnection.Status.NEEDS_RECONNECT,
        last_error=error[:2000],
        last_error_at=now,
        updated_at=now,
    )
    logger.warning(
        "Calendar connection %s needs reconnecting: %s", connection.pk, error
    )


@transaction.atomic
def apply_page(connection, calendar: ConnectedCalendar, page: SyncPage, *, now) -> None:
    """Store one sync page's events for `calendar` and record its new token."""
    writes = {
        w.voicehive_ref: w
        for w in CalendarWrite.objects.filter(calendar=calendar).select_related(
            "appointment"
        )
    }
    by_remote = {w.remote_id: w for w in writes.values() if w.remote_id}
    seen = {event.remote_id for event in page.events}
    stored = BusyBlock.objects.filter(calendar=calendar)
    if page.full:
        gone = set(stored.values_list("remote_id", flat=True)) - seen
        stored.filter(remote_id__in=gone).delete()
        # Our events absent from a full listing (within the window) were deleted outside.
        start, end = window(now, connection.business.booking_horizon_days)
        removed = [
            w.remote_id
            for w in writes.values()
            if w.remote_id
            and w.remote_id not in seen
            and w.written_start
            and start <= w.written_start < end
        ]
    else:
        _delete_ids(stored, page.removed_ids)
        removed = [rid for rid in page.removed_ids if rid not in seen]
    rows = [
        _block(connection, calendar, event, writes.get(event.voicehive_ref), now)
        for event in page.events
    ]
    BusyBlock.objects.bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["calendar", "remote_id"],
        update_fields=[
            "starts_at",
            "ends_at",
            "all_day",
            "blocks_time",
            "is_ours",
            "voicehive_ref",
            "etag",
        ],
    )
    for remote_id in removed:
        write = by_remote.get(remote_id)
        if write is not None:
            _conflict(write, CalendarWrite.Conflict.DELETED, None, None, now)
    _flag_clashes(writes.values(), rows, now)
    covered = {"synced_until": end} if page.full else {}
    ConnectedCalendar.objects.filter(pk=calendar.pk).update(
        sync_token=page.next_sync_token, last_synced_at=now, updated_at=now, **covered
    )


def _delete_ids(blocks, remote_ids: list[str]) -> None:
    """Remove these ids and their occurrences ("<id>#<start>", see providers/base.py)."""
    for offset in range(0, len(remote_ids), 200):
        chunk = remote_ids[offset : offset + 200]
        query = Q(remote_id__in=chunk)
        for remote_id in chunk:
            query |= Q(remote_id__startswith=f"{remote_id}#")
        blocks.filter(query).delete()


def _block(connection, calendar, event, write, now) -> BusyBlock:
    starts_at = event.starts_at.astimezone(dt.UTC)
    ends_at = max(event.ends_at.astimezone(dt.UTC), starts_at)
    ours = False
    if write is not None and _holds_time(write):
        ours = write.written_start == starts_at and write.written_end == ends_at
        if ours and write.state == CalendarWrite.State.CONFLICT:
            _settle(write, now)  # put back where we wrote it
        elif not ours and write.state == CalendarWrite.State.DONE:
            _conflict(write, CalendarWrite.Conflict.MOVED, starts_at, ends_at, now)
    return BusyBlock(
        calendar=calendar,
        business_id=connection.business_id,
        provider_id=connection.provider_id,
        remote_id=event.remote_id,
        starts_at=starts_at,
        ends_at=ends_at,
        all_day=event.all_day,
        blocks_time=event.blocks_time,
        is_ours=ours,
        voicehive_ref=event.voicehive_ref,
        etag=event.etag,
    )


def _flag_clashes(writes, rows: list[BusyBlock], now) -> None:
    """An outside event that lands on one of our appointments (booked while the
    calendar did not answer, or added there later) is shown to staff; nothing is
    cancelled. Checked for this page's events against this calendar's writes."""
    busy = [(b.starts_at, b.ends_at) for b in rows if b.blocks_time and not b.is_ours]
    if not busy:
        return
    for write in writes:
        if write.state != CalendarWrite.State.DONE or not _holds_time(write):
            continue
        appointment = write.appointment
        for start, end in busy:
            if start < appointment.end_at and end > appointment.start_at:
                _conflict(write, CalendarWrite.Conflict.CLASH, start, end, now)
                break


def _holds_time(write: CalendarWrite) -> bool:
    """A write whose event should be in the calendar right now."""
    return (
        not write.is_deleted
        and write.appointment is not None
        and write.appointment.status in ACTIVE_STATUSES
        and write.state in (CalendarWrite.State.DONE, CalendarWrite.State.CONFLICT)
    )


def _conflict(write, kind, start, end, now) -> None:
    if not _holds_time(write):
        return
    CalendarWrite.objects.filter(pk=write.pk).update(
        state=CalendarWrite.State.CONFLICT,
        conflict=kind,
        conflict_start=start,
        conflict_end=end,
        conflict_detected_at=now,
        updated_at=now,
    )
    write.state = CalendarWrite.State.CONFLICT  # one conflict per page is enough
    logger.info("Calendar write %s: event %s outside VoiceHive", write.pk, kind)


def _settle(write, now) -> None:
    CalendarWrite.objects.filter(pk=write.pk).update(
        state=CalendarWrite.State.DONE,
        conflict=CalendarWrite.Conflict.NONE,
        conflict_start=None,
        conflict_end=None,
        conflict_detected_at=None,
        updated_at=now,
    )
