"""Acting on one understood text: opt-out, opt-in, help, confirm, cancel, move, or
hand it to staff. Runs inside the inbound text's transaction (apps.texting.inbound).

Decisions: YES is an opt-in for a number that opted out (Twilio treats it so) and a
confirmation otherwise. A bare CANCEL is a carrier opt-out (Twilio blocks the number
at once whatever we do), so it is honoured as one; when an appointment is coming up
the answer says it still stands and the conversation goes to staff, since the
customer may have meant the appointment. Nothing unclear becomes a cancellation.
"""

from django.utils import timezone

from apps.appointments import services as appointment_services
from apps.appointments.models import Appointment
from apps.notifications import consent
from apps.notifications import services as notification_services
from apps.notifications.models import SMS_OPT_OUT_CONFIRMATION, Notification
from apps.texting import offers, replies, wording
from apps.texting.models import Conversation, InboundText

Intent = InboundText.Intent
REPLY_KIND = "text_reply"
STAFF_ALERT_KIND = "text_needs_attention"


def act(inbound: InboundText, conversation: Conversation, *, now) -> tuple[str, str]:
    """Do what the text asks; return (intent, what was done, for staff)."""
    reading = replies.read(inbound.body)
    opted_out = consent.is_opted_out(conversation.business_id, conversation.phone)
    if reading.intent == Intent.STOP:
        return Intent.STOP, _stop(inbound, conversation, now=now)
    if reading.intent == Intent.START or (opted_out and replies.is_yes(inbound.body)):
        return Intent.START, _start(inbound, conversation, now=now)
    if reading.intent == Intent.HELP:
        _reply(inbound, conversation, wording.help_text(conversation.business))
        return Intent.HELP, "Answered with the business's name and contact line."
    if opted_out:
        return reading.intent, _to_staff(
            inbound,
            conversation,
            "Texted while opted out (no auto-reply sent).",
            acknowledge=False,
        )
    appointment = appointment_in_question(conversation, now=now)
    handler = HANDLERS.get(reading.intent)
    if handler is None:
        return Intent.OTHER, _to_staff(inbound, conversation, "Not understood.")
    if appointment is None and reading.intent != Intent.CHOICE:
        _reply(inbound, conversation, wording.no_appointment(conversation.business))
        return reading.intent, _to_staff(
            inbound, conversation, "No upcoming appointment for this number."
        )
    return reading.intent, handler(inbound, conversation, appointment, reading, now)


def _stop(inbound, conversation, *, now) -> str:
    business = conversation.business
    consent.set_consent(
        business,
        conversation.phone,
        status=consent.Status.OPTED_OUT,
        source=consent.Source.KEYWORD,
        reason=f'Texted "{inbound.body.strip()[:40]}"',
        now=now,
    )
    appointment = appointment_in_question(conversation, now=now)
    bare_cancel = replies.normalize(inbound.body) == "cancel"
    if bare_cancel and appointment is not None:
        text = wording.opted_out_with_appointment(business, appointment)
        _reply(inbound, conversation, text, kind=SMS_OPT_OUT_CONFIRMATION)
        return _to_staff(
            inbound,
            conversation,
            "Texted CANCEL: opted out of texts (a carrier stop word); the appointment "
            "was NOT cancelled. Call them to check what they meant.",
            acknowledge=False,
        )
    _reply(
        inbound,
        conversation,
        wording.opted_out(business),
        kind=SMS_OPT_OUT_CONFIRMATION,
    )
    return "Opted out of this business's texts; queued texts withdrawn."


def _start(inbound, conversation, *, now) -> str:
    consent.set_consent(
        conversation.business,
        conversation.phone,
        status=consent.Status.OPTED_IN,
        source=consent.Source.KEYWORD,
        reason=f'Texted "{inbound.body.strip()[:40]}"',
        now=now,
    )
    _reply(inbound, conversation, wording.opted_in(conversation.business))
    return "Opted back in to this business's texts."


def _confirm(inbound, conversation, appointment, reading, now) -> str:
    try:
        appointment_services.confirm_appointment(appointment)
    except appointment_services.AppointmentNotChangeableError as exc:
        return _to_staff(inbound, conversation, f"Wanted to confirm: {exc}")
    _reply(inbound, conversation, wording.confirmed(conversation.business, appointment))
    return f"Confirmed appointment {appointment.pk}."


def _cancel(inbound, conversation, appointment, reading, now) -> str:
    try:
        appointment_services.cancel_appointment(
            appointment, reason=f'Customer texted "{inbound.body.strip()[:80]}"'
        )
    except appointment_services.AppointmentNotChangeableError as exc:
        return _to_staff(inbound, conversation, f"Wanted to cancel: {exc}")
    _reply(inbound, conversation, wording.cancelled(conversation.business, appointment))
    return f"Cancelled appointment {appointment.pk}."


def _reschedule(inbound, conversation, appointment, reading, now) -> str:
    slots = offers.free_times(appointment, now=now, weekday=reading.weekday)
    if not slots:
        _reply(inbound, conversation, wording.no_slots(conversation.business))
        return _to_staff(
            inbound, conversation, "Wants to reschedule; no free times to offer."
        )
    offers.make_offer(conversation, appointment, slots, now=now)
    _reply(inbound, conversation, wording.offer(conversation.business, slots))
    return f"Offered {len(slots)} time(s) for appointment {appointment.pk}."


def _choose(inbound, conversation, appointment, reading, now) -> str:
    business = conversation.business
    outcome = offers.accept(conversation, reading.choice, now=now)
    if outcome.kind == "moved":
        _reply(inbound, conversation, wording.moved(business, outcome.appointment))
        return f"Moved appointment {outcome.appointment.pk} to offered time {reading.choice}."
    if outcome.kind == "already_moved":
        _reply(
            inbound, conversation, wording.already_moved(business, outcome.appointment)
        )
        return "Repeated choice: the appointment was already moved."
    if outcome.kind in ("lapsed", "taken") and outcome.appointment is not None:
        if not outcome.appointment.is_active:
            return _to_staff(
                inbound,
                conversation,
                "Chose a time for an appointment no longer active.",
            )
        slots = offers.free_times(outcome.appointment, now=now)
        if slots:
            offers.make_offer(conversation, outcome.appointment, slots, now=now)
            text = f"{wording.offer_lapsed(business)} {wording.offer(business, slots)}"
            _reply(inbound, conversation, text)
            return f"Choice {reading.choice} {outcome.kind}; offered new times."
    return _to_staff(
        inbound, conversation, f"Sent {reading.choice!r} with no open offer."
    )


HANDLERS = {
    Intent.CONFIRM: _confirm,
    Intent.CANCEL: _cancel,
    Intent.RESCHEDULE: _reschedule,
    Intent.CHOICE: _choose,
}


def appointment_in_question(conversation: Conversation, *, now) -> Appointment | None:
    """The upcoming appointment the customer is answering about: the one our latest
    text to this number was about, else their next one."""
    upcoming = Appointment.objects.upcoming(now=now).filter(
        business=conversation.business
    )
    texted = (
        Notification.objects.filter(
            business=conversation.business,
            channel=Notification.Channel.SMS,
            recipient=conversation.phone,
            appointment__in=upcoming,
        )
        .order_by("-created_at", "-id")
        .values_list("appointment_id", flat=True)
        .first()
    )
    related = upcoming.select_related("service", "provider", "lead", "business")
    if texted:
        return related.get(pk=texted)
    if conversation.lead_id is None:
        return None
    return related.filter(lead_id=conversation.lead_id).order_by("start_at").first()


def _reply(inbound, conversation, body: str, *, kind: str = REPLY_KIND) -> Notification:
    return notification_services.queue_text(
        conversation.business,
        kind=kind,
        recipient=conversation.phone,
        body=body,
        dedupe_key=f"{kind}:{inbound.message_sid}",
        lead=conversation.lead,
    )


def _to_staff(inbound, conversation, reason: str, *, acknowledge: bool = True) -> str:
    """Mark the conversation for a person, alert staff once per episode, and (unless
    told not to) tell the customer a person will answer."""
    first = not conversation.needs_attention
    Conversation.objects.filter(pk=conversation.pk).update(
        needs_attention=True, attention_reason=reason[:300]
    )
    conversation.needs_attention = True
    if first:
        _alert_staff(inbound, conversation, reason)
        if acknowledge:  # callers pass False when the customer has opted out
            _reply(
                inbound, conversation, wording.passed_to_staff(conversation.business)
            )
    return f"For staff: {reason}"


def _alert_staff(inbound, conversation, reason: str) -> None:
    who = (
        conversation.lead.name
        if conversation.lead and conversation.lead.name
        else conversation.phone
    )
    body = f'Text from {who}: "{inbound.body.strip()[:200]}" ({reason})'
    notification_services.notify_staff_message(
        conversation.business,
        kind=STAFF_ALERT_KIND,
        subject=f"A text from {who} needs a reply",
        body=body,
        dedupe_key=f"{STAFF_ALERT_KIND}:{inbound.message_sid}",
        lead=conversation.lead,
    )


def resolve(conversation: Conversation) -> None:
    """Staff have answered: the conversation leaves the needs-attention list."""
    Conversation.objects.filter(pk=conversation.pk).update(
        needs_attention=False, attention_reason="", updated_at=timezone.now()
    )
