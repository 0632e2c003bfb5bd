"""Appointments into booking calendars, through a database-row outbox.

Every booking, move or cancellation calls `appointment_changed` inside its own
transaction: that marks one CalendarWrite row per (appointment, booking calendar)
PENDING and rings the worker after the commit. Delivering a row makes the remote
event match the appointment as it is *then* (state, not a log of operations), so a
duplicate, late or retried delivery writes the same thing again and never a second
event: the row keeps the remote id, and adapters make creation idempotent by the
appointment's `voicehive_ref`.

Transient failures (429, 5xx, network) go back to PENDING with exponential backoff
(or the provider's Retry-After); the sweep rings due rows, frees claims of dead
workers and picks up deleted appointments. Permanent failures and revoked grants end
in FAILED, shown to staff with the error, retried from the admin (and requeued
when the connection is reconnected).
"""

import datetime as dt
import logging
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.calendars.models import CalendarConnection, CalendarWrite, ConnectedCalendar
from apps.calendars.providers import adapter_for
from apps.calendars.providers.base import (
    GrantRevoked,
    NotFound,
    OutboundEvent,
    ProviderError,
)
from apps.core.doorbell import ring

logger = logging.getLogger(__name__)

ACTIVE_STATUSES = ("booked", "confirmed")  # Appointment.ACTIVE_STATUSES, by value


def ref_for(appointment_id: int) -> str:
    """The stable reference stamped on an appointment's event (and its CalDAV UID)."""
    return f"voicehive-appointment-{appointment_id}"


def booking_calendar_ids_for(appointment) -> set[int]:
    """The calendars that receive this appointment: its provider's own and the
    business's shared booking calendars, of live connections."""
    return set(
        ConnectedCalendar.objects.filter(
            receives_bookings=True,
            connection__business_id=appointment.business_id,
            connection__status__in=CalendarConnection.LIVE_STATUSES,
        )
        .filter(
            Q(connection__provider_id=appointment.provider_id)
            | Q(connection__provider__isnull=True)
        )
        .values_list("pk", flat=True)
    )


def appointment_changed(appointment) -> int:
    """Queue the appointment's calendar writes (booked, moved, cancelled). Call it
    inside the change's transaction: the rows commit with it, the doorbell after.

    A change made by a person (staff, the caller through Roxy) settles any open
    conflict on that event: their new decision is written over the outside edit.
    Two reads when nothing is new (every booking of a business with no calendar).
    """
    now = timezone.now()
    writes = CalendarWrite.objects.filter(appointment_id=appointment.pk)
    ids_by_calendar = dict(writes.values_list("calendar_id", "id"))
    missing = booking_calendar_ids_for(appointment) - ids_by_calendar.keys()
    if missing:
        CalendarWrite.objects.bulk_create(
            [
                CalendarWrite(
                    appointment_id=appointment.pk,
                    calendar_id=calendar_id,
                    business_id=appointment.business_id,
                    voicehive_ref=ref_for(appointment.pk),
                )
                for calendar_id in missing
            ],
            ignore_conflicts=True,
        )
        ids_by_calendar = dict(writes.values_list("calendar_id", "id"))
    ids = list(ids_by_calendar.values())
    _mark_pending(ids, now)
    return len(ids)


def write_upcoming(calendar, now: dt.datetime, *, batch: int = 500) -> int:
    """Queue writes of the appointments already booked ahead into a calendar that
    receives bookings (just connected, or newly chosen): its provider's, or the
    whole business's for a shared calendar. One query when it has them all."""
    appointments = CalendarWrite._meta.get_field("appointment").related_model
    connection = calendar.connection
    upcoming = appointments.objects.filter(
        business_id=connection.business_id,
        status__in=ACTIVE_STATUSES,
        start_at__gte=now,
    ).exclude(calendar_writes__calendar=calendar)
    if connection.provider_id:
        upcoming = upcoming.filter(provider_id=connection.provider_id)
    ids = list(upcoming.order_by("start_at").values_list("pk", flat=True)[:batch])
    if not ids:
        return 0
    with transaction.atomic():
        CalendarWrite.objects.bulk_create(
            [
                CalendarWrite(
                    appointment_id=pk,
                    calendar=calendar,
                    business_id=connection.business_id,
                    voicehive_ref=ref_for(pk),
                )
                for pk in ids
            ],
            ignore_conflicts=True,  # a booking's own write made meanwhile wins
        )
        new = CalendarWrite.objects.filter(
            calendar=calendar, appointment_id__in=ids, state=CalendarWrite.State.PENDING
        )
        _mark_pending(list(new.values_list("id", flat=True)), now)
    return len(ids)


def _mark_pending(ids: list[int], now: dt.datetime) -> None:
    if not ids:
        return
    CalendarWrite.objects.filter(id__in=ids).update(
        state=CalendarWrite.State.PENDING,
        generation=F("generation") + 1,
        attempts=0,
        next_attempt_at=None,
        last_error="",
        conflict=CalendarWrite.Conflict.NONE,
        conflict_start=None,
        conflict_end=None,
        conflict_detected_at=None,
        updated_at=now,
    )
    for write_id in ids:
        transaction.on_commit(partial(enqueue_write, write_id))


def requeue_writes(writes) -> int:
    """Staff's *Retry* / *Write it back*: queue these writes again now."""
    ids = list(
        writes.exclude(state=CalendarWrite.State.SENDING).values_list("id", flat=True)
    )
    _mark_pending(ids, timezone.now())
    return len(ids)


def enqueue_write(write_id: int) -> bool:
    from apps.calendars import tasks  # tasks imports this module

    return ring(tasks.deliver_calendar_write, write_id, what="calendar write")


def deliver_write(write_id: int) -> CalendarWrite | None:
    """Claim one write, make the remote event match the appointment, record the outcome."""
    write = _claim(write_id)
    if write is None:
        return None
    calendar = write.calendar
    connection = calendar.connection
    adapter = adapter_for(connection.kind)
    appointment = write.appointment
    try:
        if _wanted(write, appointment, calendar):
            fields = _put(adapter, write, appointment)
        else:
            fields = _remove(adapter, write)
    except GrantRevoked as exc:
        from apps.calendars.sync import mark_needs_reconnect  # sync imports outbox

        mark_needs_reconnect(connection, str(exc))
        return _fail(write, exc, permanent=True)
    except ProviderError as exc:
        return _fail(write, exc, permanent=not exc.transient)
    except Exception as exc:  # a bug or an unexpected reply: keep the row, show it
        logger.exception("Calendar write %s failed", write.id)
        return _fail(write, exc, permanent=False)
    _finish(write, **fields)
    return _reload(write)


def _wanted(write, appointment, calendar) -> bool:
    # Completed and no-show visits stay in the calendar as history; only a
    # cancellation (or a deleted appointment) takes the event out.
    if appointment is None or appointment.status == "cancelled":
        return False
    connection = calendar.connection
    return (
        calendar.receives_bookings
        and connection.business_id == appointment.business_id
        and (connection.provider_id in (None, appointment.provider_id))
    )


def outbound_event(appointment) -> OutboundEvent:
    lead = appointment.lead
    who = (lead.name or lead.phone) if lead else ""
    summary = f"{appointment.service.name}" + (f" – {who}" if who else "")
    lines = [f"With {appointment.provider.name}."]
    if lead and lead.phone:
        lines.append(f"Phone: {lead.phone}")
    lines.append("Booked through VoiceHive: change or cancel it there.")
    return OutboundEvent(
        voicehive_ref=ref_for(appointment.pk),
        summary=summary,
        description="\n".join(lines),
        starts_at=appointment.start_at.astimezone(dt.UTC),
        ends_at=appointment.end_at.astimezone(dt.UTC),
        time_zone=appointment.business.timezone,
        location=appointment.business.address.strip().replace("\n", ", "),
    )


def _put(adapter, write, appointment) -> dict:
    event = outbound_event(appointment)
    calendar, connection = write.calendar, write.calendar.connection
    written = None
    if write.remote_id and not write.is_deleted:
        try:
            written = adapter.update_event(connection, calendar, write.remote_id, event)
        except NotFound:
            written = None  # deleted outside; this change re-creates it
    if written is None:
        written = adapter.create_event(connection, calendar, event)
    return {
        "remote_id": written.remote_id,
        "etag": written.etag,
        "written_start": event.starts_at,
        "written_end": event.ends_at,
        "is_deleted": False,
    }


def _remove(adapter, write) -> dict:
    if write.remote_id and not write.is_deleted:
        adapter.delete_event(write.calendar.connection, write.calendar, write.remote_id)
    return {"is_deleted": True}


def _claim(write_id: int) -> CalendarWrite | None:
    now = timezone.now()
    claimed = (
        CalendarWrite.objects.filter(id=write_id, state=CalendarWrite.State.PENDING)
        .due(now)
        .update(
            state=CalendarWrite.State.SENDING,
            attempts=F("attempts") + 1,
            claimed_at=now,
            claimed_generation=F("generation"),
            updated_at=now,
        )
    )
    if not claimed:
        return None
    return CalendarWrite.objects.select_related(
        "calendar__connection",
        "appointment__service",
        "appointment__provider",
        "appointment__business",
        "appointment__lead",
    ).get(id=write_id)


def _update_claimed(write: CalendarWrite, **fields) -> bool:
    # Bound to our claim: a row the sweep released and someone re-claimed is left alone.
    return bool(
        CalendarWrite.objects.filter(
            id=write.id, state=CalendarWrite.State.SENDING, claimed_at=write.claimed_at
        ).update(updated_at=timezone.now(), **fields)
    )


def _finish(write: CalendarWrite, **fields) -> None:
    done = CalendarWrite.objects.filter(
        id=write.id,
        state=CalendarWrite.State.SENDING,
        claimed_at=write.claimed_at,
        generation=write.claimed_generation,
    ).update(
        state=CalendarWrite.State.DONE,
        last_error="",
        claimed_at=None,
        next_attempt_at=None,
        updated_at=timezone.now(),
        **fields,
    )
    if not done:
        # The appointment changed while we wrote: record what we wrote, go again.
        if _update_claimed(
            write, state=CalendarWrite.State.PENDING, claimed_at=None, **fields
        ):
            enqueue_write(write.id)


def _fail(write: CalendarWrite, exc: Exception, *, permanent: bool):
    error = f"{type(exc).__name__}: {exc}"[:2000]
    exhausted = write.attempts >= settings.CALENDAR_WRITE_MAX_ATTEMPTS
    if permanent or exhausted:
        _update_claimed(
            write, state=CalendarWrite.State.FAILED, last_error=error, claimed_at=None
        )
        logger.warning("Calendar write %s failed: %s", write.id, error)
    else:
        retry_after = getattr(exc, "retry_after", None)
        delay = retry_after or settings.CALENDAR_WRITE_BACKOFF_SECONDS * 2 ** (
            write.attempts - 1
        )
        _update_claimed(
            write,
            state=CalendarWrite.State.PENDING,
            last_error=error,
            claimed_at=None,
            next_attempt_at=timezone.now() + dt.timedelta(seconds=min(delay, 6 * 3600)),
        )
        logger.info("Calendar write %s will be retried: %s", write.id, error)
    return _reload(write)


def _reload(write: CalendarWrite) -> CalendarWrite:
    write.refresh_from_db()
    return write


def sweep_writes(now: dt.datetime | None = None, *, batch: int = 500) -> dict[str, int]:
    """Free dead workers' claims, queue deleted appointments' events for removal,
    and ring due PENDING rows (the broker was down, a backoff ran out)."""
    now = now or timezone.now()
    stale = list(
        CalendarWrite.objects.stale_claims(
            now=now, older_than=dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
        ).values_list("id", flat=True)[:batch]
    )
    # Past the hard time limit the worker is gone; at-least-once beats never.
    released = CalendarWrite.objects.filter(
        id__in=stale, state=CalendarWrite.State.SENDING
    ).update(state=CalendarWrite.State.PENDING, claimed_at=None, updated_at=now)
    for write_id in stale:
        enqueue_write(write_id)
    orphans = list(
        CalendarWrite.objects.filter(appointment__isnull=True, is_deleted=False)
        .exclude(state__in=[CalendarWrite.State.PENDING, CalendarWrite.State.SENDING])
        .exclude(remote_id="")
        .values_list("id", flat=True)[:batch]
    )
    _mark_pending(orphans, now)
    due = list(
        CalendarWrite.objects.pending()
        .due(now)
        .filter(updated_at__lt=now - dt.timedelta(seconds=30))
        .values_list("id", flat=True)[:batch]
    )
    for write_id in due:
        enqueue_write(write_id)
    return {
        "released": released,
        "orphans": len(orphans),
        "enqueued": len(due) + len(stale),
    }
