"""Roxy's scheduling tools: open times, booking, and the caller's own appointments.

Appointments are found only through the number the call comes from
(`ToolContext.caller_number`), never through a number the caller says, so
nobody can hear about, move or cancel someone else's booking.
"""

import datetime as dt
import math
from typing import Any

from django.conf import settings
from django.utils.translation import gettext, pgettext

from apps.appointments import availability
from apps.appointments import services as appointment_services
from apps.appointments.models import Appointment, Provider, Service
from apps.appointments.slots import Slot
from apps.calendars import services as calendar_services
from apps.leads import services as lead_services
from apps.roxy import booking_args, booking_words
from apps.roxy.speech import say_day, say_phone, say_when
from apps.roxy.toolbox import (
    ToolContext,
    ToolError,
    choice_arg,
    email_arg,
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
    what = booking_words.service_phrase(service, provider)
    if not slots:
        return _nothing_free(schedule, first, last, context, what)
    distinct = availability.one_per_start_time(slots)
    offered = _spread(distinct, context, context.business.slots_offered)
    more = ""
    if len(distinct) > len(offered):
        more = " " + gettext("({count} open times in all)").format(count=len(distinct))
    return gettext("Openings for {what}{more}: {slots}.").format(
        what=what, more=more, slots=booking_words.slots_text(offered, context)
    ) + _calendar_caveat(schedule, context)


def _calendar_caveat(schedule: availability.Schedule, context: ToolContext) -> str:
    """The answer knows its data's age: when the stored outside-calendar busy time
    is older than CALENDAR_STALE_AFTER_SECONDS (a calendar not answering), Roxy
    hears so, and booking checks the calendar itself (`_busy_outside`)."""
    max_age = dt.timedelta(seconds=settings.CALENDAR_STALE_AFTER_SECONDS)
    if not schedule.freshness.is_stale(context.now, max_age=max_age):
        return ""
    return " " + gettext(
        "The team's own calendar could not be checked just now: say these times "
        "are confirmed when you book."
    )


def book_appointment(args: dict[str, Any], context: ToolContext) -> str:
    """Book a slot (or service, day and time) for the caller; their lead becomes booked."""
    name = text_arg(args, "name", "customer_name", "caller_name", limit=120)
    if not name:
        raise ToolError(booking_words.need_name())
    phone = phone_arg(
        args, "phone", "customer_phone", "phone_number", default=context.caller_number
    )
    if not phone:
        raise ToolError(booking_words.need_phone())
    email = email_arg(args, "email")
    service, provider, start_at, from_slot = booking_args.booking_from(args, context)
    slot = _free_slot(service, provider, start_at, context)
    if slot is None:
        raise ToolError(
            _unavailable(service, provider, start_at, context, was_offered=from_slot)
        )
    provider = provider or Provider.objects.get(pk=slot.provider_id)
    if _busy_outside(provider, start_at, slot.end_at):
        raise ToolError(
            _unavailable(service, provider, start_at, context, was_offered=True)
        )
    lead = lead_services.record_booking_lead(
        context.business, phone=phone, name=name, email=email
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
    return gettext(
        "Booked: {service} with {person} at {when} for {name}, phone {phone}. "
        "Appointment id {id}."
    ).format(
        service=service.name,
        person=provider.name,
        when=say_when(start_at, context.tz),
        name=name,
        phone=say_phone(phone),
        id=appointment.pk,
    )


def find_my_appointments(args: dict[str, Any], context: ToolContext) -> str:
    """The caller's own upcoming appointments, found by the number they call from."""
    appointments = list(_callers_upcoming(context)[: LISTED_APPOINTMENTS + 1])
    if not appointments:
        return gettext(
            "There are no upcoming appointments under {phone}. If they booked with "
            "another number, offer to take a message for the team."
        ).format(phone=say_phone(context.caller_number))
    listed = booking_words.appointments_text(
        appointments[:LISTED_APPOINTMENTS], context
    )
    more = (
        " " + gettext("There are more; ask which date they mean.")
        if len(appointments) > LISTED_APPOINTMENTS
        else ""
    )
    return gettext("Upcoming appointments for this caller: {listed}.{more}").format(
        listed=listed, more=more
    )


def reschedule_appointment(args: dict[str, Any], context: ToolContext) -> str:
    """Move one of the caller's own upcoming appointments to a new free time."""
    appointment = _callers_appointment(args, context)
    service = appointment.service
    provider, start_at, from_slot = booking_args.new_time_from(
        args, context, appointment
    )
    slot = _free_slot(service, provider, start_at, context, ignoring=appointment)
    if slot is None:
        raise ToolError(
            _unavailable(service, provider, start_at, context, was_offered=from_slot)
        )
    if _busy_outside(
        provider or appointment.provider, start_at, slot.end_at, ignoring=appointment
    ):
        raise ToolError(
            _unavailable(service, provider, start_at, context, was_offered=True)
        )
    try:
        moved = appointment_services.reschedule_appointment(
            appointment, start_at=start_at, provider=provider
        )
    except appointment_services.SlotTakenError:
        raise ToolError(
            _unavailable(service, provider, start_at, context, was_offered=True)
        ) from None
    except appointment_services.AppointmentNotChangeableError:
        raise ToolError(
            booking_words.not_changeable(appointment, moving=True)
        ) from None
    return gettext(
        "Moved: {service} is now with {person} at {when}. Appointment id {id}."
    ).format(
        service=service.name,
        person=moved.provider.name,
        when=say_when(moved.start_at, context.tz),
        id=moved.pk,
    )


def cancel_appointment(args: dict[str, Any], context: ToolContext) -> str:
    """Cancel one of the caller's own upcoming appointments."""
    appointment = _callers_appointment(args, context)
    reason = text_arg(args, "reason", limit=300) or "Caller cancelled by phone."
    try:
        appointment_services.cancel_appointment(appointment, reason=reason)
    except appointment_services.AppointmentNotChangeableError:
        raise ToolError(
            booking_words.not_changeable(appointment, moving=False)
        ) from None
    return gettext("Cancelled: {service} with {person} at {when}.").format(
        service=appointment.service.name,
        person=appointment.provider.name,
        when=say_when(appointment.start_at, context.tz),
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
        raise ToolError(
            gettext("{when} has already passed.").format(
                when=say_when(start_at, context.tz)
            )
        )
    schedule = availability.Schedule(
        service, provider=provider, now=context.now, ignoring=ignoring
    )
    return schedule.slot_at(start_at)


def _busy_outside(
    provider: Provider,
    start_at: dt.datetime,
    end_at: dt.datetime,
    *,
    ignoring: Appointment | None = None,
) -> bool:
    """The race with the outside calendar: an event added there seconds ago is not
    in the stored busy time yet. Ask the provider's connected calendars directly,
    within CALENDAR_BOOKING_CHECK_TIMEOUT_SECONDS, and fail open (book) when they
    don't answer in time; the next sync then shows staff any clash. No connected
    calendar: one query, nothing waits. (README, "Calendars": the measured cost.)
    A move's own event is VoiceHive's, so only a clash beyond its old time counts.
    """
    busy = calendar_services.outside_busy_intervals(provider, start_at, end_at)
    if ignoring is not None:
        busy = [
            (s, e)
            for s, e in busy
            if not (s == ignoring.start_at and e == ignoring.end_at)
        ]
    return bool(busy)


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
    who = " " + booking_words.with_person(provider.name) if provider else ""
    reason = (
        gettext("Sorry, {when}{who} was just taken.").format(when=when, who=who)
        if was_offered
        else gettext("{when}{who} isn't available for {service}.").format(
            when=when, who=who, service=service.name
        )
    )
    alternatives = availability.alternatives_near(
        service, provider=provider, start_at=start_at, now=context.now
    )
    if not alternatives and provider is not None:
        alternatives = availability.alternatives_near(
            service, provider=None, start_at=start_at, now=context.now
        )
    if not alternatives:
        return gettext(
            "{reason} There is nothing else free that week; offer another week."
        ).format(reason=reason)
    return gettext("{reason} The nearest openings are: {slots}.").format(
        reason=reason, slots=booking_words.slots_text(alternatives, context)
    )


def _nothing_free(
    schedule: availability.Schedule,
    first: dt.date,
    last: dt.date,
    context: ToolContext,
    what: str,
) -> str:
    span = (
        say_day(first)
        if first == last
        else pgettext(
            "days: {first} Monday, March 3, {last} Friday, March 7", "{first} to {last}"
        ).format(first=say_day(first), last=say_day(last))
    )
    later = schedule.free_slots(
        last + dt.timedelta(days=1),
        last + dt.timedelta(days=settings.ROXY_SEARCH_DAYS),
        limit=SCAN_LIMIT,
    )
    text = gettext("No openings for {what} on {span}.").format(what=what, span=span)
    if not later:
        return gettext("{text} Nothing in the {days} days after either.").format(
            text=text, days=settings.ROXY_SEARCH_DAYS
        )
    soonest = availability.one_per_start_time(later)[: context.business.slots_offered]
    return gettext("{text} The next openings are: {slots}.").format(
        text=text, slots=booking_words.slots_text(soonest, context)
    )


# --- the caller's own appointments ---


def _callers_upcoming(context: ToolContext):
    if not context.caller_number:
        raise ToolError(
            gettext(
                "The caller's number is hidden, so their appointments can't be "
                "looked up. Offer to take a message for the team instead."
            )
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
        # isascii: "²" is a digit to isdigit() but not to int().
        # (and past 18 digits no id fits a bigint column).
        plain = wanted.isascii() and wanted.isdigit() and len(wanted) <= 18
        found = upcoming.filter(pk=int(wanted)).first() if plain else None
        if found is None:
            raise ToolError(
                gettext(
                    "That appointment isn't one of this caller's upcoming "
                    "appointments. Use find_my_appointments to see theirs."
                )
            )
        return found
    candidates = list(upcoming[: LISTED_APPOINTMENTS + 1])
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ToolError(
            gettext("There are no upcoming appointments under {phone}.").format(
                phone=say_phone(context.caller_number)
            )
        )
    listed = booking_words.appointments_text(candidates[:LISTED_APPOINTMENTS], context)
    raise ToolError(
        gettext(
            "The caller has several upcoming appointments: {listed}. Ask which one, "
            "then pass its appointment_id."
        ).format(listed=listed)
    )


# --- choosing what to offer ---


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
