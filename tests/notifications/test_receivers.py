import base64

import pytest
from anymail.signals import AnymailTrackingEvent, tracking

from apps.notifications.models import Notification
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db

MESSAGE_ID = "883953f4-6105-42a2-a16a-77a8eac79483"


def send_tracking_signal(**kwargs):
    event = AnymailTrackingEvent(message_id=MESSAGE_ID, **kwargs)
    tracking.send(sender=object, event=event, esp_name="Postmark")


def test_tracking_signal_marks_the_notification_delivered():
    notification = NotificationFactory(
        status=Notification.Status.SENT, provider_message_id=MESSAGE_ID
    )

    send_tracking_signal(event_type="delivered")

    notification.refresh_from_db()
    assert notification.status == Notification.Status.DELIVERED


def test_tracking_signal_records_why_a_message_bounced():
    notification = NotificationFactory(
        status=Notification.Status.SENT, provider_message_id=MESSAGE_ID
    )

    send_tracking_signal(
        event_type="bounced",
        reject_reason="bounced",
        mta_response="550 5.1.1 mailbox unknown",
    )

    notification.refresh_from_db()
    assert notification.status == Notification.Status.BOUNCED
    assert "550 5.1.1 mailbox unknown" in notification.last_error


@pytest.fixture
def postmark_webhook(settings, client):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "anymail:s3cret"}
    auth = base64.b64encode(b"anymail:s3cret").decode()

    def post(payload):
        return client.post(
            "/webhooks/anymail/postmark/tracking/",
            payload,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Basic {auth}",
        )

    return post


def test_postmark_spam_complaint_through_the_real_webhook_url(postmark_webhook):
    notification = NotificationFactory(
        status=Notification.Status.DELIVERED, provider_message_id=MESSAGE_ID
    )

    response = postmark_webhook(
        {
            "RecordType": "SpamComplaint",
            "ID": 42,
            "Type": "SpamComplaint",
            "TypeCode": 512,
            "MessageID": MESSAGE_ID,
            "Description": "The subscriber explicitly marked this message as spam.",
            "Email": "dana@example.com",
            "BouncedAt": "2026-11-26T16:33:54Z",
        }
    )

    assert response.status_code == 200
    notification.refresh_from_db()
    assert notification.status == Notification.Status.COMPLAINED


def test_webhook_without_the_secret_is_refused(settings, client):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "anymail:s3cret"}
    NotificationFactory(status=Notification.Status.SENT, provider_message_id=MESSAGE_ID)

    response = client.post(
        "/webhooks/anymail/postmark/tracking/",
        {"RecordType": "Delivery", "MessageID": MESSAGE_ID},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert Notification.objects.get().status == Notification.Status.SENT
