"""Booking, moving and cancelling appointments."""

import datetime as dt

from django.db import IntegrityError, transaction

from apps.appointments.models import Appointment, Provider, Service

# PostgreSQL's SQLSTATE for an exclusion-constraint violation.
EXCLUSION_VIOLATION = "23P01"


class SlotTakenError(Exception):
    """The provider is already busy at that time."""


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

    PostgreSQL's exclusion constraint decides races; on SQLite the IMMEDIATE
    transaction serialises the overlap check and the insert.
    """
    appointment = Appointment(
        business_id=service.business_id,
        service=service,
        provider=provider,
        lead=lead,
        source_call=source_call,
        notes=notes,
    )
    appointment.set_times(start_at)
    clash = (
        Appointment.objects.active()
        .filter(provider=provider)
        .overlapping(appointment.start_at, appointment.blocked_until)
    )
    if clash.exists():
        raise SlotTakenError(f"{provider} is busy at {start_at:%Y-%m-%d %H:%M}.")
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != EXCLUSION_VIOLATION:
            raise
        raise SlotTakenError(
            f"{provider} was just booked at {start_at:%Y-%m-%d %H:%M}."
        ) from exc
    return appointment
