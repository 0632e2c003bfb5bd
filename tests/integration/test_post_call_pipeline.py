"""A call ends, a worker analyses it, staff and caller hear about it; Redis down or not."""

import datetime as dt
import logging
import time

import pytest
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from apps.appointments import availability
from apps.appointments.slots import Slot
from apps.calls import post_call
from apps.calls.models import Call
from apps.leads.models import Lead
from apps.notifications import delivery as notification_delivery
from apps.notifications.models import Notification
from tests.brokers import use_redis, wait_for_worker
from tests.integration.conftest import (
    DEAD_BROKER,
    NEW_CALLER,
    booking_tool_call,
    end_of_call_report,
    sent_emails,
    sent_texts,
    start_redis_worker,
    the_call,
)

logger = logging.getLogger(__name__)

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

STAFF_EMAIL = "frontdesk@maisonbelle.example"
STAFF_PHONE = "+15125550100"


def about(call: Call):
    """Every notification concerning this call's caller: alerts, confirmations."""
    return Notification.objects.filter(Q(call=call) | Q(lead=call.lead_id))


def all_sent(call: Call, expected: int) -> bool:
    call.refresh_from_db()
    statuses = list(about(call).values_list("status", flat=True))
    return (
        call.analysis_status == Call.AnalysisStatus.COMPLETED
        and len(statuses) == expected
        and set(statuses) == {Notification.Status.SENT}
    )


def test_an_ended_call_is_analysed_and_staff_alerted_by_a_real_worker(
    demo, openai, post, broker
):
    use_redis()
    with start_redis_worker():
        response, _ = post(end_of_call_report())
        assert response.status_code == 200
        call = the_call()
        assert call.analysis_status == Call.AnalysisStatus.PENDING
        # Rung by hand as well as by the webhook (once it enqueues): a second task
        # for the same call must change nothing.
        post_call.enqueue_analysis(call.id)
        post_call.enqueue_analysis(call.id)

        assert wait_for_worker(lambda: all_sent(call, expected=4))

    assert openai.call_count == 1
    assert call.summary.startswith("Dana Whitfield wants bridal hair")
    assert call.lead_score == 88
    assert call.analysis_usage["total_tokens"] == 908
    lead = Lead.objects.get(pk=call.lead_id)
    # An address only the model heard is a suggestion for staff, not a destination.
    assert (lead.name, lead.email, lead.suggested_email, lead.score, lead.status) == (
        "Dana Whitfield",
        "",
        "dana@example.com",
        88,
        Lead.Status.QUALIFIED,
    )
    assert sent_emails(STAFF_EMAIL) == [
        "New lead: Dana Whitfield (bridal)",
        "Urgent: follow up with Dana Whitfield",
    ]
    texts = sent_texts(STAFF_PHONE)
    assert len(texts) == 2
    assert any("URGENT follow-up with Dana Whitfield" in text for text in texts)


def free_slot(business) -> Slot:
    tomorrow = business.local_now().date() + dt.timedelta(days=1)
    (slot,) = availability.find_free_slots(
        business.services.get(name="Haircut and color"),
        start_date=tomorrow,
        end_date=tomorrow + dt.timedelta(days=13),
        provider=business.providers.get(name="Maria"),
        limit=1,
    )
    return slot


def test_a_broker_outage_delays_analysis_and_messages_but_loses_nothing(
    demo, openai, post, broker
):
    broker(DEAD_BROKER)

    booked, booking_seconds = post(booking_tool_call(free_slot(demo).slot_id))
    ended, report_seconds = post(end_of_call_report())

    logger.warning(
        "Broker down: booking tool call %.3f s, end-of-call report %.3f s",
        booking_seconds,
        report_seconds,
    )
    assert booked.status_code == 200
    assert booked.json()["results"][0]["result"].startswith("Booked: ")
    assert ended.status_code == 200
    # Measured: report ~0.005 s. The booking ~2.6 s: notifications' enqueue_delivery
    # retries each publish for ~0.6 s under Celery's default policy (four messages).
    assert report_seconds < 1.0
    assert booking_seconds < 5.0
    call = the_call()
    assert call.analysis_status == Call.AnalysisStatus.PENDING
    started = time.monotonic()
    assert post_call.enqueue_analysis(call.id) is False  # what the webhook will do
    assert time.monotonic() - started < 0.1
    waiting = sorted(about(call).values_list("kind", "channel", "status"))
    assert waiting == [
        ("booking_confirmation", "email", "queued"),
        ("booking_confirmation", "sms", "queued"),
        ("new_booking", "email", "queued"),
        ("new_booking", "sms", "queued"),
    ]

    use_redis()  # Redis is back: the sweeps ring, then a worker drains the queue
    later = timezone.now() + dt.timedelta(
        seconds=settings.ANALYSIS_SWEEP_GRACE_SECONDS + 1
    )
    assert post_call.sweep_pending_analyses(now=later) == 1
    assert notification_delivery.sweep_notifications(now=later)["enqueued"] >= 4
    with start_redis_worker():
        # Four from the booking, then new lead and urgent follow-up from the analysis.
        assert wait_for_worker(lambda: all_sent(call, expected=8)), (
            call.analysis_status,
            call.analysis_error,
            sorted(about(call).values_list("kind", "channel", "status", "last_error")),
        )

    assert sent_emails("dana@example.com")[0].startswith(
        "You're booked at Maison Belle"
    )
    (confirmation,) = sent_texts(NEW_CALLER)
    assert "you're booked, Dana Whitfield!" in confirmation
    staff = sent_emails(STAFF_EMAIL)
    assert [subject.split(":")[0] for subject in staff] == [
        "New booking",
        "New lead",
        "Urgent",
    ]
    assert all("Dana Whitfield" in subject for subject in staff)
    assert len(sent_texts(STAFF_PHONE)) == 3
    assert openai.call_count == 1
