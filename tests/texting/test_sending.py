"""Texts we send carry Twilio's status callback, and an outage loses none."""

from urllib.parse import parse_qs

import httpx
import pytest

from apps.notifications import channels
from apps.notifications.delivery import deliver_notification
from apps.notifications.models import Notification
from tests.texting.conftest import CUSTOMER, PUBLIC_ORIGIN

pytestmark = pytest.mark.django_db

TWILIO_URL = "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"


@pytest.fixture
def twilio(settings):
    settings.SMS_BACKEND = "apps.notifications.channels.TwilioSmsBackend"
    settings.TWILIO_ACCOUNT_SID = "AC123"
    settings.TWILIO_FROM_NUMBER = "+15125550100"
    settings.TWILIO_API_BASE_URL = "https://api.twilio.com"


def test_each_text_asks_twilio_for_status_callbacks(twilio, respx_mock):
    route = respx_mock.post(TWILIO_URL).mock(
        return_value=httpx.Response(201, json={"sid": "SM42"})
    )

    channels.send_sms(to=CUSTOMER, body="Hello")

    sent = parse_qs(route.calls.last.request.content.decode())
    assert sent["StatusCallback"] == [f"{PUBLIC_ORIGIN}/webhooks/twilio/status/"]


def test_an_explicit_status_callback_url_wins(twilio, respx_mock, settings):
    settings.TWILIO_STATUS_CALLBACK_URL = "https://hooks.example.com/twilio/status/"
    route = respx_mock.post(TWILIO_URL).mock(
        return_value=httpx.Response(201, json={"sid": "SM42"})
    )

    channels.send_sms(to=CUSTOMER, body="Hello")

    sent = parse_qs(route.calls.last.request.content.decode())
    assert sent["StatusCallback"] == ["https://hooks.example.com/twilio/status/"]


def test_a_reply_during_a_twilio_outage_waits_and_is_not_lost(
    twilio, respx_mock, text_in, salon, customer
):
    respx_mock.post(TWILIO_URL).mock(return_value=httpx.Response(503))
    text_in("HELP")
    reply = Notification.objects.get(recipient=CUSTOMER)

    after = deliver_notification(reply.pk)

    assert after.status == Notification.Status.QUEUED
    assert after.send_after is not None
