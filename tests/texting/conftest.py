"""A salon whose customer texts back, and Twilio's signed webhook requests."""

import pytest
from twilio.request_validator import RequestValidator

from apps.appointments import services as appointment_services
from tests.leads.factories import LeadFactory
from tests.roxy.salon import NOW, SALON_LINE, build_salon

AUTH_TOKEN = "twilio-test-auth-token"
CUSTOMER = "+15125550187"
PUBLIC_ORIGIN = "https://voicehive.example.com"


@pytest.fixture(autouse=True)
def texting_settings(settings, time_machine):
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.SITE_URL = PUBLIC_ORIGIN
    settings.TWILIO_WEBHOOK_BASE_URL = ""
    settings.SMS_BACKEND = "apps.notifications.channels.LocmemSmsBackend"
    settings.TEXTING_SLOTS_OFFERED = 3
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def salon():
    return build_salon(phone="+15125550142", notification_emails="desk@example.com")


@pytest.fixture
def customer(salon):
    return LeadFactory(business=salon.business, name="Dana Whitfield", phone=CUSTOMER)


@pytest.fixture
def appointment(salon, customer, deliveries):
    # Tuesday 18 March, 11:00 with Maria: far enough ahead to be moved.
    start = NOW.replace(day=18, hour=11, minute=0)
    return appointment_services.book_appointment(
        salon.haircut, provider=salon.maria, start_at=start, lead=customer
    )


def sign(url: str, params: dict, token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


@pytest.fixture
def text_in(client):
    """Post an inbound text as Twilio would, signed for the public URL."""
    counter = iter(range(1, 10_000))

    def post(
        body: str, *, sid: str | None = None, sender: str = CUSTOMER, to=SALON_LINE
    ):
        params = {
            "MessageSid": sid or f"SM{next(counter):032d}",
            "AccountSid": "AC" + "0" * 32,
            "From": sender,
            "To": to,
            "Body": body,
            "NumMedia": "0",
        }
        url = f"{PUBLIC_ORIGIN}/webhooks/twilio/incoming/"
        return client.post(
            "/webhooks/twilio/incoming/",
            params,
            HTTP_X_TWILIO_SIGNATURE=sign(url, params),
        )

    return post
