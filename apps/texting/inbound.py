"""A customer's text: stored once, then understood and answered.

Twilio may deliver the same message twice (a slow answer, a retry), so the row is
committed first under its MessageSid; a second delivery finds it and does nothing.
Acting on it runs after, in its own transaction: a crash there leaves the row
unhandled (visible to staff), never a half-done move.

Answers go out through the outbox as Notification rows, not as TwiML: they get the
same status callbacks, retries and admin history as every other text. They skip
quiet hours, since the customer has just written to us, and carriers require the
STOP and HELP answers at once.
"""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.businesses.models import Business, VapiPhoneNumber
from apps.core.phones import e164_or_blank
from apps.leads.models import Lead
from apps.notifications.models import Notification
from apps.texting import flow, wording
from apps.texting.models import Conversation, InboundText

logger = logging.getLogger(__name__)

MAX_BODY = 5000  # Twilio joins long texts up to 1,600 characters; keep any payload


def receive(params: dict[str, str]) -> InboundText | None:
    """Store one inbound text (None for a duplicate delivery), then act on it."""
    now = timezone.now()
    from_number = e164_or_blank(params.get("From", ""))
    business = business_for(params.get("To", ""), from_number)
    try:
        with transaction.atomic():
            inbound = InboundText.objects.create(
                message_sid=params["MessageSid"][:64],
                business=business,
                from_number=from_number or params.get("From", "")[:32],
                to_number=params.get("To", "")[:32],
                body=params.get("Body", "")[:MAX_BODY],
                received_at=now,
                payload=dict(params),
            )
    except IntegrityError:
        logger.info("Duplicate inbound text %s ignored", params.get("MessageSid"))
        return None
    if business is None:
        inbound.outcome = "No business owns the number texted; operators see it."
        inbound.save(update_fields=["outcome"])
        return inbound
    try:
        handle(inbound, now=now)
    except Exception:
        # Stored, so nothing is lost: answer Twilio (a retry would only be a
        # duplicate) and leave the text unhandled, flagged for a person.
        logger.exception("Could not act on inbound text %s", inbound.message_sid)
        InboundText.objects.filter(pk=inbound.pk).update(outcome=UNHANDLED)
    return inbound


UNHANDLED = "Could not act on it automatically: a person should read it."


def handle(inbound: InboundText, *, now) -> None:
    """Attach the text to its conversation and act on what it says. Idempotent:
    a text already handled is left alone."""
    with transaction.atomic():
        locked = InboundText.objects.select_for_update().get(pk=inbound.pk)
        if locked.handled_at is not None:
            return
        conversation = conversation_for(locked.business, locked.from_number, now=now)
        locked.conversation = conversation
        # Replies in the customer's language (#16: apps.texting.wording).
        with wording.customer(locked.business, locked.from_number):
            intent, outcome = flow.act(locked, conversation, now=now)
        locked.intent = intent
        locked.outcome = outcome[:300]
        locked.handled_at = now
        locked.save(update_fields=["conversation", "intent", "outcome", "handled_at"])
    inbound.refresh_from_db()


def business_for(to_number: str, from_number: str) -> Business | None:
    """The business whose number was texted; with one shared sending number, the
    business that last texted this customer."""
    to = e164_or_blank(to_number)
    if to:
        owned = VapiPhoneNumber.objects.filter(number=to).select_related("business")
        number = owned.first()
        if number is not None:
            return number.business
        by_phone = Business.objects.filter(phone=to).first()
        if by_phone is not None:
            return by_phone
    # One shared sending number (TWILIO_FROM_NUMBER) serves every business: the
    # answer is for whoever last texted this customer. Any other unknown number is
    # no business's, never a guess.
    shared = e164_or_blank(settings.TWILIO_FROM_NUMBER)
    if not (from_number and to and to == shared):
        return None
    last = (
        Notification.objects.filter(
            channel=Notification.Channel.SMS, recipient=from_number
        )
        .select_related("business")
        .order_by("-created_at")
        .first()
    )
    return last.business if last else None


def conversation_for(business: Business, phone: str, *, now) -> Conversation:
    lead = (
        Lead.objects.filter(business=business, phone=phone).first() if phone else None
    )
    conversation, _ = Conversation.objects.get_or_create(
        business=business, phone=phone, defaults={"lead": lead}
    )
    conversation.last_inbound_at = now
    fields = ["last_inbound_at", "updated_at"]
    if conversation.lead_id is None and lead is not None:
        conversation.lead = lead
        fields.append("lead")
    conversation.save(update_fields=fields)
    return conversation
