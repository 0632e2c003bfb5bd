import pytest
from django.urls import reverse

from tests.calls.factories import WebhookEventFactory

pytestmark = pytest.mark.django_db


def test_webhook_event_page_pretty_prints_the_payload(admin_client):
    event = WebhookEventFactory(
        payload={"message": {"type": "hang", "call": {"id": "c-1"}}}
    )
    page = admin_client.get(
        reverse("admin:calls_webhookevent_change", args=[event.pk])
    ).content.decode()
    assert "<pre>{\n  &quot;message&quot;" in page


def test_replay_action_reports_what_it_did(admin_client):
    event = WebhookEventFactory(status="processed")
    response = admin_client.post(
        reverse("admin:calls_webhookevent_changelist"),
        {"action": "replay_events", "_selected_action": [event.pk]},
        follow=True,
    )
    assert (
        "Replayed 0, still failing 0, skipped 1 already processed."
        in response.content.decode()
    )
