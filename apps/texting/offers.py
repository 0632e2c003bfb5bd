"""Moving an appointment by text: offer numbered free times, book the one chosen.

The offer is a row holding the signed slot ids it showed and when it lapses, so a
"2" sent late, twice or after a newer offer is judged against what the customer
actually saw. Booking goes through reschedule_appointment, so the move's notice, the
updated invite, the calendar write and the no-double-booking rule all apply.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from apps.appointments import services as appointment_services
from apps.appointments.availability import Schedule, one_per_start_time
from apps.appointments.models import Appointment, Provider
from apps.appointments.slots import InvalidSlotError, Slot, parse_slot_id
from apps.texting.models import Conversation, RescheduleOffer


@dataclass(frozen=True)
class Outcome:
    kind: str  # moved | already_moved | lapsed | taken | invalid | no_offer
    appointment: Appointment | None = None


def free_times(
    appointment: Appointment, *, now: dt.datetime, weekday: int | None = None
) -> list[Slot]:
    """Up to TEXTING_SLOTS_OFFERED distinct free start times for the appointment's
    service, with its own provider first, then anyone: spread over the coming days,
    or over the first named weekday ("can we do Thursday") when it has room."""
    wanted = settings.TEXTING_SLOTS_OFFERED
    tz = appointment.business.tzinfo
    first = now.astimezone(tz).date()
    last = first + dt.timedelta(days=settings.TEXTING_SEARCH_DAYS)
    found: list[Slot] = []
    for provider in (appointment.provider, None):
        schedule = Schedule(
            appointment.service, provider=provider, now=now, ignoring=appointment
        )
        slots = schedule.free_slots(first, last)
        found = one_per_start_time(
            [*found, *(s for s in slots if s.start_at != appointment.start_at)]
        )
        if len(found) >= wanted * 3:
            break
    if weekday is not None:
        on_day = _first_weekday(found, weekday, tz)
        if on_day:
            return _evenly(on_day, wanted)
    return _spread(found, wanted, tz)


def _first_weekday(slots: list[Slot], weekday: int, tz) -> list[Slot]:
    days = sorted(
        {
            s.start_at.astimezone(tz).date()
            for s in slots
            if s.start_at.astimezone(tz).weekday() == weekday
        }
    )
    if not days:
        return []
    return sorted(
        (s for s in slots if s.start_at.astimezone(tz).date() == days[0]),
        key=lambda s: s.start_at,
    )


def _evenly(slots: list[Slot], wanted: int) -> list[Slot]:
    """`wanted` times spread across the day (morning to afternoon), not back to back."""
    if len(slots) <= wanted:
        return slots
    step = (len(slots) - 1) / (wanted - 1) if wanted > 1 else 0
    return [slots[round(i * step)] for i in range(wanted)]


def _spread(slots: list[Slot], wanted: int, tz: dt.tzinfo) -> list[Slot]:
    """Prefer times on different days (a choice, not three back-to-back starts)."""
    picked: list[Slot] = []
    days: set[dt.date] = set()
    for slot in slots:
        day = slot.start_at.astimezone(tz).date()
        if day not in days:
            picked.append(slot)
            days.add(day)
        if len(picked) == wanted:
            return sorted(picked, key=lambda s: s.start_at)
    rest = [s for s in slots if s not in picked]
    return sorted([*picked, *rest][:wanted], key=lambda s: s.start_at)


@transaction.atomic
def make_offer(
    conversation: Conversation, appointment: Appointment, slots: list[Slot], *, now
) -> RescheduleOffer:
    """Store the offer, replacing any open one: only the newest numbers count."""
    conversation.offers.filter(status=RescheduleOffer.Status.OPEN).update(
        status=RescheduleOffer.Status.REPLACED
    )
    return RescheduleOffer.objects.create(
        conversation=conversation,
        appointment=appointment,
        slot_ids=[slot.slot_id for slot in slots],
        expires_at=now + dt.timedelta(minutes=settings.TEXTING_OFFER_MINUTES),
    )


@transaction.atomic
def accept(conversation: Conversation, choice: int, *, now: dt.datetime) -> Outcome:
    """Book offered time number `choice` (1-based) in place of the old one."""
    offer = (
        RescheduleOffer.objects.select_for_update()
        .filter(conversation=conversation)
        .exclude(status=RescheduleOffer.Status.REPLACED)
        .order_by("-created_at", "-id")
        .first()
    )
    if offer is None:
        return Outcome("no_offer")
    appointment = offer.appointment
    if offer.status == RescheduleOffer.Status.TAKEN:
        return Outcome("already_moved", appointment)  # a repeated "2"
    if offer.expires_at <= now or not appointment.is_active:
        return Outcome("lapsed", appointment)
    if not 1 <= choice <= len(offer.slot_ids):
        return Outcome("invalid", appointment)
    try:
        moved = _move(appointment, offer.slot_ids[choice - 1], now=now)
    except (appointment_services.SlotTakenError, InvalidSlotError):
        return Outcome("taken", appointment)
    offer.status = RescheduleOffer.Status.TAKEN
    offer.chosen = choice
    offer.save(update_fields=["status", "chosen", "updated_at"])
    return Outcome("moved", moved)


def _move(appointment: Appointment, slot_id: str, *, now) -> Appointment:
    ref = parse_slot_id(slot_id)
    provider = Provider.objects.get(pk=ref.provider_id, business=appointment.business)
    # Still free now (another booking may have taken it since the offer)?
    schedule = Schedule(
        appointment.service, provider=provider, now=now, ignoring=appointment
    )
    if schedule.slot_at(ref.start_at) is None:
        raise appointment_services.SlotTakenError("no longer free")
    return appointment_services.reschedule_appointment(
        appointment, start_at=ref.start_at, provider=provider
    )
