"""Play a text conversation against VoiceHive, as Twilio would send it: a reminder
goes out, the customer answers, and the replies queued for them are printed."""

import datetime as dt
import itertools
import uuid
from collections.abc import Callable, Iterator

import httpx
from django.test import RequestFactory
from django.utils import timezone
from twilio.request_validator import RequestValidator

from apps.appointments import notices
from apps.appointments import services as appointment_services
from apps.appointments.availability import find_free_slots
from apps.appointments.models import Appointment
from apps.businesses.models import Business
from apps.leads import services as lead_services
from apps.notifications.models import Notification
from apps.texting import webhooks
from apps.texting.signature import public_url

INCOMING_PATH = "/webhooks/twilio/incoming/"
DEV_AUTH_TOKEN = "dev-twilio-auth-token"
Post = Callable[[dict[str, str]], int]


def ensure_appointment(business: Business, customer: str) -> Appointment:
    """The customer's next appointment; without one, book the first free slot."""
    now = timezone.now()
    upcoming = Appointment.objects.upcoming(now=now).filter(
        business=business, lead__phone=customer
    )
    appointment = upcoming.order_by("start_at").first()
    if appointment is not None:
        return appointment
    lead = lead_services.get_or_create_lead_for_caller(business, phone=customer)
    service = business.services.filter(is_active=True).order_by("duration_minutes")[0]
    today = business.local_now().date()
    slots = find_free_slots(
        service,
        start_date=today + dt.timedelta(days=1),
        end_date=today + dt.timedelta(days=14),
        limit=1,
    )
    if not slots:
        raise ValueError(f"{business.name} has no free slot in the next two weeks.")
    slot = slots[0]
    return appointment_services.book_appointment(
        service,
        provider=service.providers.get(pk=slot.provider_id),
        start_at=slot.start_at,
        lead=lead,
        notes="Booked by simulate_texts.",
    )


def send_reminder(appointment: Appointment) -> bool:
    """Queue the appointment's reminder now, as the ten-minute sweep would."""
    Appointment.objects.filter(pk=appointment.pk).update(reminder_sent_at=None)
    return notices.queue_reminder(appointment.pk, now=timezone.now())


def in_process(token: str) -> Post:
    factory = RequestFactory(SERVER_NAME="localhost")

    def post(params: dict[str, str]) -> int:
        probe = factory.post(INCOMING_PATH, params)
        signature = RequestValidator(token).compute_signature(public_url(probe), params)
        request = factory.post(INCOMING_PATH, params, HTTP_X_TWILIO_SIGNATURE=signature)
        return webhooks.incoming_message(request).status_code

    return post


def over_http(url: str, token: str) -> Post:
    def post(params: dict[str, str]) -> int:
        signature = RequestValidator(token).compute_signature(url, params)
        response = httpx.post(
            url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30
        )
        return response.status_code

    return post


def play(
    post: Post, *, business_number: str, customer: str, messages: list[str]
) -> Iterator[tuple[str, int, list[str]]]:
    """Send each message; yield (message, HTTP status, texts queued back to them)."""
    conversation_id = uuid.uuid4().hex[:20]
    for number, body in zip(itertools.count(1), messages, strict=False):
        since = _last_text_id(customer)
        status = post(
            {
                "MessageSid": f"SMsim{conversation_id}{number:04d}",
                "AccountSid": "ACsimulated",
                "From": customer,
                "To": business_number,
                "Body": body,
                "NumMedia": "0",
            }
        )
        replies = Notification.objects.filter(
            channel=Notification.Channel.SMS, recipient=customer, id__gt=since
        ).order_by("id")
        yield body, status, [r.body for r in replies]


def _last_text_id(customer: str) -> int:
    latest = Notification.objects.filter(recipient=customer).order_by("-id").first()
    return latest.id if latest else 0
