"""How the scheduling tools word services, open times and appointments, in the
call's language (apps.roxy.booking_tools; the catalogs in locale/)."""

from django.utils.translation import gettext, pgettext

from apps.appointments.models import Appointment, Provider, Service
from apps.appointments.slots import Slot
from apps.roxy.speech import say_duration, say_price, say_when
from apps.roxy.toolbox import ToolContext


def service_phrase(service: Service, provider: Provider | None) -> str:
    """'Haircut with Maria (1 hour, $45)'."""
    facts = [say_duration(service.duration_minutes), say_price(service.price)]
    who = " " + with_person(provider.name) if provider else ""
    return f"{service.name}{who} ({', '.join(f for f in facts if f)})"


def with_person(person: str) -> str:
    return gettext("with {person}").format(person=person)


def slots_text(slots: list[Slot], context: ToolContext) -> str:
    """Each open time with who and its slot id, for the model to offer and book."""
    return "; ".join(
        gettext("{when} with {person} (slot id: {id})").format(
            when=say_when(s.start_at, context.tz), person=s.provider_name, id=s.slot_id
        )
        for s in slots
    )


def appointments_text(appointments: list[Appointment], context: ToolContext) -> str:
    return "; ".join(
        gettext("{service} with {person} at {when} (appointment id: {id})").format(
            service=a.service.name,
            person=a.provider.name,
            when=say_when(a.start_at, context.tz),
            id=a.pk,
        )
        for a in appointments
    )


# --- refusals, said in the call's language (the services raise in English) ---


def need_name() -> str:
    return gettext("I need the caller's name to book. Ask for it.")


def need_phone() -> str:
    return gettext("I need a phone number for the booking. Ask for one.")


def invalid_slot() -> str:
    return gettext(
        "That time slot reference isn't valid. Please check availability again."
    )


def not_changeable(appointment: Appointment, *, moving: bool) -> str:
    """Why a cancelled, completed or no-show appointment can't be moved or cancelled."""
    appointment.refresh_from_db(fields=["status"])
    status = {
        Appointment.Status.CANCELLED: pgettext("appointment status", "cancelled"),
        Appointment.Status.COMPLETED: pgettext("appointment status", "completed"),
        Appointment.Status.NO_SHOW: pgettext("appointment status", "a no-show"),
    }.get(appointment.status, appointment.get_status_display().lower())
    if moving:
        text = gettext("This appointment is {status} and can't be moved.")
    else:
        text = gettext("This appointment is {status} and can't be cancelled.")
    return text.format(status=status)
