"""Booking, moving and cancelling appointments.

These functions are the only way an appointment's time or status changes, so
notifications for bookings, moves and cancellations can hook in here.
"""

import datetime as dt
import logging
from collections.abc import Callable

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from apps.appointments import notices
from apps.appointments.models import Appointment, Provider, Service
from apps.calendars import outbox as calendar_outbox

logger = logging.getLogger(__name__)

# PostgreSQL's SQLSTATE for an exclusion-constraint violation.
EXCLUSION_VIOLATION = "23P01"
DEADLOCK_DETECTED = "40P01"
SLOT_LOST = (EXCLUSION_VIOLATION, DEADLOCK_DETECTED)


class SlotTakenError(Exception):
    """The provider is already busy at that time."""


class AppointmentNotChangeableError(Exception):
    """The appointment is cancelled, completed or a no-show, so it can't be changed."""


@transaction.atomic
def book_appointment(
    service: Service,
    *,
    provider: Provider,
    start_at: dt.datetime,
    lead=None,
    source_call=None,
    notes: str = "",
) -> Appointment:
    """Book `service` with `provider` at `start_at`; raise SlotTakenError on a conflict.

    PostgreSQL's exclusion constraint decides, races included; on SQLite the
    IMMEDIATE transaction serialises the overlap check and the insert.
    """
    appointment = Appointment(
        business=service.business,
        service=service,
        provider=provider,
        lead=lead,
        source_call=source_call,
        notes=notes,
    )
    appointment.set_times(start_at)
    _save_or_refuse(appointment)
    _queue_notices(notices.queue_booking_notices, appointment)
    _queue_calendar_writes(appointment)
    return appointment


@transaction.atomic
def reschedule_appointment(
    appointment: Appointment,
    *,
    start_at: dt.datetime,
    provider: Provider | None = None,
    service: Service | None = None,
    by_staff: bool = False,
) -> Appointment:
    """Move an active appointment (optionally to another provider or service); raise
    SlotTakenError on a clash. Staff are alerted unless they made the move
    (`by_staff`): the team hears what callers change, not its own edits.

    The reminder is cleared so one is sent for the new time (unless the notice of
    the move, going out inside the reminder window, stands in for it). The
    instance passed in is refreshed and returned.
    """
    locked = _lock(appointment)
    if not locked.is_active:
        raise AppointmentNotChangeableError(
            f"This appointment is {locked.get_status_display().lower()} "
            "and can't be moved."
        )
    for other in (provider, service):
        if other is not None and other.business_id != locked.business_id:
            raise ValueError(f"{other} belongs to another business.")
    previous = locked.start_at
    locked.provider = provider or locked.provider
    locked.service = service or locked.service
    locked.set_times(start_at)
    locked.reminder_sent_at = None
    locked.notes = _append_note(
        locked.notes, f"Rescheduled from {_local(previous, locked):%Y-%m-%d %H:%M %Z}."
    )
    _save_or_refuse(locked)
    _queue_notices(
        notices.queue_reschedule_notices,
        locked,
        previous_start_at=previous,
        alert_staff=not by_staff,
    )
    _queue_calendar_writes(locked)
    appointment.refresh_from_db()
    return appointment


@transaction.atomic
def cancel_appointment(
    appointment: Appointment, *, reason: str = "", by_staff: bool = False
) -> Appointment:
    """Cancel an appointment, noting the reason; cancelling twice changes nothing.
    Staff are alerted unless they cancelled it themselves (`by_staff`)."""
    locked = _lock(appointment)
    if locked.status == Appointment.Status.CANCELLED:
        appointment.refresh_from_db()
        return appointment
    if not locked.is_active:
        raise AppointmentNotChangeableError(
            f"This appointment is {locked.get_status_display().lower()} "
            "and can't be cancelled."
        )
    locked.status = Appointment.Status.CANCELLED
    locked.cancelled_at = timezone.now()
    note = f"Cancelled: {reason.strip()}" if reason.strip() else "Cancelled."
    locked.notes = _append_note(locked.notes, note)
    locked.save(update_fields=["status", "cancelled_at", "notes", "updated_at"])
    _queue_notices(
        notices.queue_cancellation_notices,
        locked,
        reason=reason,
        alert_staff=not by_staff,
    )
    _queue_calendar_writes(locked)
    appointment.refresh_from_db()
    return appointment


@transaction.atomic
def confirm_appointment(appointment: Appointment) -> Appointment:
    """Mark a booked appointment confirmed (the caller said they will come). Idempotent."""
    return _set_status(
        appointment,
        Appointment.Status.CONFIRMED,
        allowed_from=(Appointment.Status.BOOKED, Appointment.Status.CONFIRMED),
    )


@transaction.atomic
def mark_no_show(
    appointment: Appointment, *, now: dt.datetime | None = None
) -> Appointment:
    """Record that the caller did not come; only once the appointment has started."""
    locked = _lock(appointment)
    if locked.start_at > (now or timezone.now()):
        raise AppointmentNotChangeableError(
            "An appointment can't be a no-show before it starts."
        )
    return _set_status(
        appointment,
        Appointment.Status.NO_SHOW,
        allowed_from=(*Appointment.ACTIVE_STATUSES, Appointment.Status.NO_SHOW),
    )


def ensure_no_clash(appointment: Appointment) -> None:
    """Raise SlotTakenError if another active booking holds any of this one's time."""
    clash = (
        Appointment.objects.active()
        .filter(provider_id=appointment.provider_id)
        .overlapping(appointment.start_at, appointment.blocked_until)
    )
    if appointment.pk:
        clash = clash.exclude(pk=appointment.pk)
    if clash.exists():
        raise _taken(appointment)


def _taken(appointment: Appointment) -> SlotTakenError:
    return SlotTakenError(
        f"{appointment.provider} is busy at {appointment.start_at:%Y-%m-%d %H:%M}."
    )


def _set_status(appointment: Appointment, status: str, *, allowed_from) -> Appointment:
    locked = _lock(appointment)
    if locked.status not in allowed_from:
        raise AppointmentNotChangeableError(
            f"This appointment is {locked.get_status_display().lower()}."
        )
    if locked.status != status:
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
    appointment.refresh_from_db()
    return appointment


def _lock(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("service", "provider", "business")
        .get(pk=appointment.pk)
    )


def _save_or_refuse(appointment: Appointment) -> None:
    """Save, or raise SlotTakenError if another active booking holds the time.

    On PostgreSQL the exclusion constraint refuses the row itself, so a query
    first would only repeat it (measured: a SELECT per booking). SQLite has no
    such constraint: there the check, inside the IMMEDIATE transaction, is the guard.

    Callers are atomic and let SlotTakenError out, which rolls their savepoint
    back; so the refused statement needs no savepoint of its own, and nothing may
    query between catching it and raising.
    """
    if connection.vendor != "postgresql":
        ensure_no_clash(appointment)
    try:
        appointment.save()
    except (IntegrityError, OperationalError) as exc:
        # Two overlapping inserts checking the exclusion constraint at once can
        # deadlock; PostgreSQL aborts one of them, and that one lost the slot.
        if getattr(exc.__cause__, "sqlstate", None) not in SLOT_LOST:
            raise
        raise _taken(appointment) from exc


def _queue_notices(
    queue: Callable[..., object], appointment: Appointment, **kwargs
) -> None:
    """Messages never undo a booking change: a failure is logged, the change stands."""
    try:
        with transaction.atomic():
            queue(appointment, **kwargs)
    except Exception:
        logger.exception("Could not queue messages for appointment %s", appointment.pk)


def _queue_calendar_writes(appointment: Appointment) -> None:
    """Queue the change for the connected booking calendars (the outbox rows commit
    with it). Like messages, a failure here never undoes the booking change."""
    try:
        with transaction.atomic():
            calendar_outbox.appointment_changed(appointment)
    except Exception:
        logger.exception("Could not queue calendar writes for %s", appointment.pk)


def _append_note(notes: str, line: str) -> str:
    return f"{notes.rstrip()}\n{line}" if notes.strip() else line


def _local(moment: dt.datetime, appointment: Appointment) -> dt.datetime:
    return moment.astimezone(appointment.business.tzinfo)
