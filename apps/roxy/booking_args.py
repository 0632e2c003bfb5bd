"""What the caller asked for, read leniently from a scheduling tool's arguments.

Each reader raises ToolError with words Roxy can use to ask again.
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from apps.appointments import slots
from apps.appointments.models import Appointment, Provider, Service
from apps.roxy import booking_words
from apps.roxy.dates import DateParseError, resolve_dates
from apps.roxy.matching import match_name
from apps.roxy.speech import parse_clock, say_day, say_list
from apps.roxy.toolbox import ToolContext, ToolError, text_arg

ANYONE = {"", "any", "anyone", "anybody", "no preference", "whoever", "either"}


def service_from(args: dict[str, Any], context: ToolContext) -> Service:
    """The business's active service the caller named, matched leniently."""
    services = list(context.business.services.filter(is_active=True))
    said = text_arg(args, "service", "service_name", "treatment", limit=120)
    names = [s.name for s in services]
    if not said:
        raise ToolError(
            gettext("Which service? The options are {options}.").format(
                options=say_list(names, conjunction="or")
            )
        )
    match = match_name(said, services, key=lambda s: s.name)
    if match.found is None:
        options = [s.name for s in (match.options or services)][:6]
        raise ToolError(
            gettext(
                'There is no service called "{said}". Did they mean {options}?'
            ).format(said=said, options=say_list(options, conjunction="or"))
        )
    return match.found


def provider_from(
    args: dict[str, Any], context: ToolContext, service: Service
) -> Provider | None:
    """The person the caller asked for, if any, who must offer `service`."""
    said = text_arg(args, "provider", "stylist", "staff", "with", limit=120)
    if said.lower() in ANYONE:
        return None
    staff = list(context.business.providers.filter(is_active=True))
    match = match_name(said, staff, key=lambda p: p.name)
    if match.found is None:
        options = [p.name for p in (match.options or staff)][:6]
        raise ToolError(
            gettext(
                'Nobody called "{said}" works here. Did they mean {options}?'
            ).format(said=said, options=say_list(options, conjunction="or"))
        )
    if not service.providers.filter(pk=match.found.pk).exists():
        others = service.providers.filter(is_active=True).values_list("name", flat=True)
        raise ToolError(
            gettext("{person} doesn't do {service}. {others} does.").format(
                person=match.found.name,
                service=service.name,
                others=say_list(list(others), conjunction="or") or gettext("Nobody"),
            )
        )
    return match.found


def dates_from(args: dict[str, Any], context: ToolContext) -> tuple[dt.date, dt.date]:
    """The local days asked about, from today on; the coming week when none was said."""
    said = text_arg(args, "date", "dates", "day", "date_range", "when", limit=80)
    if not said:
        return context.today, context.today + dt.timedelta(
            days=settings.ROXY_SEARCH_DAYS - 1
        )
    try:
        first, last = resolve_dates(said, today=context.today)
    except DateParseError as exc:
        raise ToolError(str(exc)) from None
    if last < context.today:
        raise ToolError(
            gettext("{day}, {year} has already passed; today is {today}.").format(
                day=say_day(last), year=last.year, today=say_day(context.today)
            )
        )
    # Days past the horizon hold no bookable time, and near the end of the
    # calendar (9999-12-31) the day after would overflow.
    horizon = bookable_until(context)
    if first > horizon:
        raise ToolError(beyond_horizon(context))
    return max(first, context.today), min(last, horizon)


def bookable_until(context: ToolContext) -> dt.date:
    """The last local day the business takes bookings for."""
    return context.today + dt.timedelta(days=context.business.booking_horizon_days)


def beyond_horizon(context: ToolContext) -> str:
    horizon = bookable_until(context)
    return gettext(
        "{business} takes bookings up to {day}, {year}. Ask the caller for an "
        "earlier day."
    ).format(business=context.business.name, day=say_day(horizon), year=horizon.year)


def start_from(args: dict[str, Any], context: ToolContext) -> dt.datetime:
    """The start from an ISO 'start_time' or from 'date' plus 'time', in local time.

    An ISO time's offset is ignored: the model reasons in the business's wall-clock
    time (the prompt gives it no other) and gets offsets wrong around DST.
    """
    iso = text_arg(args, "start_time", "start_at", "datetime", limit=40)
    try:
        moment = dt.datetime.fromisoformat(iso) if "T" in iso else None
    except ValueError:
        moment = None
    if moment is not None:
        if moment.date() > bookable_until(context):
            raise ToolError(beyond_horizon(context))
        return moment.replace(tzinfo=context.tz)
    first, last = dates_from(args, context)
    if first != last:
        raise ToolError(gettext("Which day exactly? Ask the caller for one day."))
    said_time = text_arg(args, "time", "start_time", limit=40)
    clock = parse_clock(said_time) if said_time else None
    if clock is None:
        raise ToolError(
            gettext("What time? Ask the caller, or check availability first.")
        )
    return dt.datetime.combine(first, clock, tzinfo=context.tz)


def slot_ref_from(slot_id: str) -> slots.SlotRef:
    """A slot id we issued, decoded; forged or altered ids are refused."""
    try:
        return slots.parse_slot_id(slot_id)
    except slots.InvalidSlotError:
        raise ToolError(booking_words.invalid_slot()) from None


def booking_from(
    args: dict[str, Any], context: ToolContext
) -> tuple[Service, Provider | None, dt.datetime, bool]:
    """(service, provider or None for anyone, start, whether it came from a slot id)."""
    slot_id = text_arg(args, "slot_id", "slot", limit=80)
    if slot_id:
        ref = slot_ref_from(slot_id)
        service = context.business.services.filter(
            pk=ref.service_id, is_active=True
        ).first()
        provider = context.business.providers.filter(
            pk=ref.provider_id, is_active=True
        ).first()
        if service is None or provider is None:
            raise ToolError(
                gettext("That slot id isn't valid here. Check availability again.")
            )
        return service, provider, ref.start_at, True
    service = service_from(args, context)
    return (
        service,
        provider_from(args, context, service),
        start_from(args, context),
        False,
    )


def new_time_from(
    args: dict[str, Any], context: ToolContext, appointment: Appointment
) -> tuple[Provider, dt.datetime, bool]:
    """(provider, new start, whether it came from a slot id) for moving `appointment`."""
    slot_id = text_arg(args, "slot_id", "slot", limit=80)
    if slot_id:
        ref = slot_ref_from(slot_id)
        if ref.service_id != appointment.service_id:
            raise ToolError(
                gettext(
                    "That slot is for another service. Check availability for "
                    "{service} instead."
                ).format(service=appointment.service.name)
            )
        provider = context.business.providers.filter(
            pk=ref.provider_id, is_active=True
        ).first()
        if provider is None:
            raise ToolError(
                gettext("That slot id isn't valid here. Check availability again.")
            )
        return provider, ref.start_at, True
    provider = provider_from(args, context, appointment.service) or appointment.provider
    return provider, start_from(args, context), False
