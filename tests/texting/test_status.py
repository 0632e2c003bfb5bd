"""Twilio's status callbacks move each text forward, with the reason for staff."""

import pytest

from apps.notifications import consent
from apps.notifications.models import Notification
from tests.notifications.factories import SmsNotificationFactory
from tests.texting.conftest import PUBLIC_ORIGIN, sign

pytestmark = pytest.mark.django_db

PATH = "/webhooks/twilio/status/"


@pytest.fixture
def sent(salon):
    return SmsNotificationFactory(
        business=salon.business,
        status=Notification.Status.SENT,
        provider_message_id="SM" + "c" * 32,
    )


@pytest.fixture
def report(client):
    def post(status: str, **extra):
        params = {"MessageSid": "SM" + "c" * 32, "MessageStatus": status, **extra}
        signature = sign(f"{PUBLIC_ORIGIN}{PATH}", params)
        return client.post(PATH, params, HTTP_X_TWILIO_SIGNATURE=signature)

    return post


def test_delivered(report, sent):
    assert report("delivered").status_code == 204
    sent.refresh_from_db()
    assert sent.status == Notification.Status.DELIVERED


def test_undelivered_keeps_the_reason(report, sent):
    report("undelivered", ErrorCode="30003")
    sent.refresh_from_db()
    assert sent.status == Notification.Status.UNDELIVERED
    assert (
        sent.last_error == "Undelivered: Twilio error 30003, phone off or out of reach."
    )


def test_failed_with_an_unknown_code_uses_twilios_message(report, sent):
    report("failed", ErrorCode="30999", ErrorMessage="Something odd")
    sent.refresh_from_db()
    assert sent.status == Notification.Status.FAILED
    assert "30999" in sent.last_error and "Something odd" in sent.last_error


def test_a_late_sent_never_hides_delivered(report, sent):
    report("delivered")
    report("sent")
    report("queued")
    sent.refresh_from_db()
    assert sent.status == Notification.Status.DELIVERED


def test_21610_records_the_carrier_opt_out(report, sent):
    report("failed", ErrorCode="21610")
    assert consent.is_opted_out(sent.business_id, sent.recipient)
    change = consent.consent_for(sent.business_id, sent.recipient).changes.get()
    assert change.source == "provider"


def test_unsigned_status_is_refused(client, sent):
    response = client.post(
        PATH, {"MessageSid": sent.provider_message_id, "MessageStatus": "failed"}
    )
    assert response.status_code == 403
    sent.refresh_from_db()
    assert sent.status == Notification.Status.SENT


def test_an_unknown_message_is_ignored(report, salon):
    assert report("delivered").status_code == 204
