"""Roxy's scheduling tools: open times, booking, and the caller's own appointments.

Appointments are found only through the number the call comes from
(`ToolContext.caller_number`), never through a number the caller says, so
nobody can hear about, move or cancel someone else's booking.
"""

import datetime as dt
import math
from typing import Any

from django.conf import settings

from apps.appointments import availability
from apps.appointments import services as appointment_services
from apps.appointments.models import Appointment, Provider, Service
from apps.appointments.slots import Slot
from apps.leads import services as lead_services
from apps.roxy import booking_args
from apps.roxy.speech import (
    say_day,
    say_duration,
    say_phone,
    say_price,
    say_when,
)
from apps.roxy.toolbox import (
    ToolContext,
    ToolError,
    choice_arg,
    link_call_to_lead,
    phone_arg,
    text_arg,
)

# What a caller may say for a part of the day, to availability's name for it.
PART_OF_DAY_WORDS = {part: part for part in availability.PARTS_OF_DAY} | {
    "am": "morning",
    "pm": "afternoon",
    "night": "evening",
}
SCAN_LIMIT = 300  # slots examined per search; plenty for a few weeks of one service
LISTED_APPOINTMENTS = 5


def check_availability(args: dict[str, Any], context: ToolContext) -> str:
    """Free start times for a service, a few spread out, each with its slot id."""
    service = booking_args.service_from(args, context)
    provider = booking_args.provider_from(args, context, service)
    first, last = booking_args.dates_from(args, context)
    part = choice_arg(
        args, "part_of_day", "time_preference", "time_of_day", choices=PART_OF_DAY_WORDS
    )
    schedule = availability.Schedule(service, provider=provider, now=context.now)
    slots = schedule.free_slots(first, last, part_of_day=part or None, limit=SCAN_LIMIT)
    what = _service_phrase(service, provider)
    if not slots:
        return _nothing_free(schedule, first, last, context, what)
    distinct = availability.one_per_start_time(slots)
    offered = _spread(distinct, context, settings.ROXY_SLOTS_OFFERED)
    more = (
        f" ({len(distinct)} open times in all)" if len(distinct) > len(offered) else ""
    )
    return f"Openings for {what}{more}: {_slots_text(offered, context)}."


def book_appointment(args: dict[str, Any], context: ToolContext) -> str:
    """Book a slot (or service, day and time) for the caller; their lead becomes booked."""
    name = text_arg(args, "name", "customer_name", "caller_name", limit=120)
    if not name:
        raise ToolError("I need the caller's name to book. Ask for it.")
    phone = phone_arg(
        args, "phone", "customer_phone", "phone_number", default=context.caller_number
    )
    if not phone:
        raise ToolError("I need a phone number for the booking. Ask for one.")
    service, provider, start_at, from_slot = booking_args.booking_from(args, context)
    slot = _free_slot(service, provider, start_at, context)
    if slot is None:
        raise ToolError(
            _unavailable(service, provider, start_at, context, was_offered=from_slot)
        )
    provider = provider or Provider.objects.get(pk=slot.provider_id)
    lead = lead_services.record_booking_lead(
        context.business, phone=phone, name=name, email=text_arg(args, "email")
    )
    try:
        appointment = appointment_services.book_appointment(
            service,
            provider=provider,
            start_at=start_at,
            lead=lead,
            source_call=context.call,
            notes=text_arg(args, "notes", limit=2000),
        )
    except appointment_services.SlotTakenError:
        raise ToolError(
            _unavailable(service, provider, start_at, context, was_offered=True)
        ) from None
    link_call_to_lead(context, lead)
    return (
        f"Booked: {service.name} with {provider.name} at "
        f"{say_when(start_at, context.tz)} for {name}, phone {say_phone(phone)}. "
        f"Appointment id {appointment.pk}."
    )


def find_my_appointments(args: dict[str, Any], context: ToolContext) -> str:
    """The caller's own upcoming appointments, found by the number they call from."""
    appointments = list(_callers_upcoming(context)[: LISTED_APPOINTMENTS + 1])
    if not appointments:
        return (
            f"There are no upcoming appointments under {say_phone(context.caller_number)}. "
            "If they booked with another number, offer to take a message for the team."
        )
    listed = _appointments_text(appointments[:LISTED_APPOINTMENTS], context)
    more = (
        " There are more; ask which date they mean."
        if len(appointments) > LISTED_APPOINTMENTS
        else ""
    )
    return f"Upcoming appointments for this caller: {listed}.{more}"


def reschedule_appointment(args: dict[str, Any], context: ToolContext) -> str:
    """Move one of the caller's own upcoming appointments to a new free time."""
    appointment = _callers_appointment(args, context)
    service = appointment.service
    provider, start_at, from_slot = booking_args.new_time_from(
        args, context, appointment
    )
    if _free_slot(service, provider, start_at, context, ignoring=appointment) is None:
        raise ToolError(
            _unavailable(service, provider, start_at, context, was_offered=from_slot)
        )
    try:
        moved = appointment_services.reschedule_appointment(
            appointment, start_at=start_at, provider=provider
        )
    except appointment_services.SlotTakenError:
        raise ToolError(
            _unavailable(service, provider, start_at, context, was_offered=True)
        ) from None
    except appointment_services.AppointmentNotChangeableError as exc:
        raise ToolError(str(exc)) from None
    return (
        f"Moved: {service.name} is now with {moved.provider.name} at "
        f"{say_when(moved.start_at, context.tz)}. Appointment id {moved.pk}."
    )


def cancel_appointment(args: dict[str, Any], context: ToolContext) -> str:
    """Cancel one of the caller's own upcoming appointments."""
    appointment = _callers_appointment(args, context)
    reason = text_arg(args, "reason", limit=300) or "Caller cancelled by phone."
    try:
        appointment_services.cancel_appointment(appointment, reason=reason)
    except appointment_services.AppointmentNotChangeableError as exc:
        raise ToolError(str(exc)) from None
    return (
        f"Cancelled: {appointment.service.name} with {appointment.provider.name} at "
        f"{say_when(appointment.start_at, context.tz)}."
    )


# --- whether it is free ---


def _free_slot(
    service: Service,
    provider: Provider | None,
    start_at: dt.datetime,
    context: ToolContext,
    *,
    ignoring: Appointment | None = None,
) -> Slot | None:
    """The slot starting exactly at `start_at` (with anyone when no provider), if free.

    `ignoring` leaves out the appointment being moved: a move by less than its
    length would otherwise overlap itself.
    """
    if start_at <= context.now:
        raise ToolError(f"{say_when(start_at, context.tz)} has already passed.")
    schedule = availability.Schedule(
        service, provider=provider, now=context.now, ignoring=ignoring
    )
    return schedule.slot_at(start_at)


def _unavailable(
    service: Service,
    provider: Provider | None,
    start_at: dt.datetime,
    context: ToolContext,
    *,
    was_offered: bool,
) -> str:
    """Why a time can't be had, with the nearest alternatives."""
    when = say_when(start_at, context.tz)
    who = f" with {provider.name}" if provider else ""
    reason = (
        f"Sorry, {when}{who} was just taken."
        if was_offered
        else f"{when}{who} isn't available for {service.name}."
    )
    alternatives = availability.alternatives_near(
        service, provider=provider, start_at=start_at, now=context.now
    )
    if not alternatives and provider is not None:
        alternatives = availability.alternatives_near(
            service, provider=None, start_at=start_at, now=context.now
        )
    if not alternatives:
        return f"{reason} There is nothing else free that week; offer another week."
    return f"{reason} The nearest openings are: {_slots_text(alternatives, context)}."


def _nothing_free(
    schedule: availability.Schedule,
    first: dt.date,
    last: dt.date,
    context: ToolContext,
    what: str,
) -> str:
    span = say_day(first) if first == last else f"{say_day(first)} to {say_day(last)}"
    later = schedule.free_slots(
        last + dt.timedelta(days=1),
        last + dt.timedelta(days=settings.ROXY_SEARCH_DAYS),
        limit=SCAN_LIMIT,
    )
    text = f"No openings for {what} on {span}."
    if not later:
        return f"{text} Nothing in the {settings.ROXY_SEARCH_DAYS} days after either."
    soonest = availability.one_per_start_time(later)[: settings.ROXY_SLOTS_OFFERED]
    return f"{text} The next openings are: {_slots_text(soonest, context)}."


# --- the caller's own appointments ---


def _callers_upcoming(context: ToolContext):
    if not context.caller_number:
        raise ToolError(
            "The caller's number is hidden, so their appointments can't be looked up. "
            "Offer to take a message for the team instead."
        )
    return (
        Appointment.objects.upcoming(now=context.now)
        .for_phone(context.business, context.caller_number)
        .select_related("service", "provider")
        .order_by("start_at")
    )


def _callers_appointment(args: dict[str, Any], context: ToolContext) -> Appointment:
    upcoming = _callers_upcoming(context)
    wanted = text_arg(args, "appointment_id", "appointment", "id", limit=20).strip("# ")
    if wanted:
        found = upcoming.filter(pk=int(wanted)).first() if wanted.isdigit() else None
        if found is None:
            raise ToolError(
                "That appointment isn't one of this caller's upcoming appointments. "
                "Use find_my_appointments to see theirs."
            )
        return found
    candidates = list(upcoming[: LISTED_APPOINTMENTS + 1])
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ToolError(
            f"There are no upcoming appointments under {say_phone(context.caller_number)}."
        )
    listed = _appointments_text(candidates[:LISTED_APPOINTMENTS], context)
    raise ToolError(
        f"The caller has several upcoming appointments: {listed}. Ask which one, then "
        "pass its appointment_id."
    )


# --- saying it ---


def _service_phrase(service: Service, provider: Provider | None) -> str:
    facts = [say_duration(service.duration_minutes), say_price(service.price)]
    who = f" with {provider.name}" if provider else ""
    return f"{service.name}{who} ({', '.join(f for f in facts if f)})"


def _slots_text(slots: list[Slot], context: ToolContext) -> str:
    return "; ".join(
        f"{say_when(s.start_at, context.tz)} with {s.provider_name} (slot id: {s.slot_id})"
        for s in slots
    )


def _appointments_text(appointments: list[Appointment], context: ToolContext) -> str:
    return "; ".join(
        f"{a.service.name} with {a.provider.name} at {say_when(a.start_at, context.tz)} "
        f"(appointment id: {a.pk})"
        for a in appointments
    )


def _spread(slots: list[Slot], context: ToolContext, count: int) -> list[Slot]:
    """A few times spread over the first days, rather than the first few back to back."""
    by_day: dict[dt.date, list[Slot]] = {}
    for slot in slots:
        by_day.setdefault(slot.start_at.astimezone(context.tz).date(), []).append(slot)
    days = list(by_day.values())[:count]
    per_day = math.ceil(count / len(days))
    picked = [slot for day in days for slot in _evenly(day, per_day)]
    return picked[:count]


def _evenly(items: list, count: int) -> list:
    if len(items) <= count:
        return items
    if count == 1:
        return items[:1]
    indexes = sorted({round(i * (len(items) - 1) / (count - 1)) for i in range(count)})
    return [items[i] for i in indexes]
