import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.appointments.models import Appointment
from apps.calls.models import PURGED, Call, ToolInvocation, WebhookEvent
from apps.demo.services import seed_demo_business
from apps.notifications.models import Notification
from apps.privacy import retention
from tests.appointments.factories import AppointmentFactory
from tests.businesses.factories import BusinessFactory
from tests.calls.factories import (
    CallFactory,
    ToolInvocationFactory,
    WebhookEventFactory,
)
from tests.leads.factories import LeadFactory
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _days_ago(days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def _recorded_call(business, *, days: int, **fields) -> Call:
    """A call as VAPI leaves it: transcript, messages, recordings, events, a tool run and
    a notification, all dated `days` ago."""
    call = CallFactory(
        business=business,
        started_at=_days_ago(days),
        messages=[{"role": "user", "message": "Hi, I'd like a haircut."}],
        recording_url="https://storage.vapi.ai/mono.wav",
        stereo_recording_url="https://storage.vapi.ai/stereo.wav",
        cost=Decimal("0.19"),
        intent="book",
        **fields,
    )
    WebhookEventFactory(
        call=call, vapi_call_id=call.vapi_call_id, payload={"message": {"x": 1}}
    )
    # Stored before its call existed, so linked by VAPI id only.
    WebhookEventFactory(vapi_call_id=call.vapi_call_id, type="transcript")
    ToolInvocationFactory(call=call, arguments={"name": "Dana"}, result="Booked.")
    NotificationFactory(
        business=business, call=call, status=Notification.Status.SENT, body="Dana..."
    )
    WebhookEvent.objects.filter(vapi_call_id=call.vapi_call_id).update(
        received_at=_days_ago(days)
    )
    ToolInvocation.objects.filter(call=call).update(created_at=_days_ago(days))
    Notification.objects.filter(call=call).update(created_at=_days_ago(days))
    return call


@pytest.fixture
def strict():
    """Keeps call data 30 days."""
    return BusinessFactory(slug="strict", data_retention_days=30)


@pytest.fixture
def lenient():
    """Keeps call data a year."""
    return BusinessFactory(slug="lenient", data_retention_days=365)


def _staff_counts():
    """What staff reports are built from; a purge must leave all of it alone."""
    calls = Call.objects.aggregate(
        n=Count("pk"),
        seconds=Sum("duration_seconds"),
        cost=Sum("cost"),
        leads=Count("lead"),
    )
    return {
        "calls": calls,
        "by_status": list(
            Call.objects.values("business", "status", "intent")
            .annotate(n=Count("pk"))
            .order_by("business", "status", "intent")
        ),
        "events": list(
            WebhookEvent.objects.values("type", "call")
            .annotate(n=Count("pk"))
            .order_by("type", "call")
        ),
        "tools": ToolInvocation.objects.count(),
        "notifications": list(
            Notification.objects.values("kind", "status")
            .annotate(n=Count("pk"))
            .order_by("kind", "status")
        ),
        "appointments": Appointment.objects.count(),
    }


def _is_purged(call: Call) -> bool:
    call.refresh_from_db()
    return (call.transcript, call.messages, call.recording_url) == ("", [], "")


def test_each_business_is_purged_by_its_own_retention(strict, lenient):
    recent = _recorded_call(strict, days=10)
    strict_old = _recorded_call(strict, days=60)
    lenient_kept = _recorded_call(lenient, days=60)
    lenient_old = _recorded_call(lenient, days=400)

    report = retention.purge_call_data(now=NOW)

    assert [_is_purged(c) for c in (recent, strict_old, lenient_kept, lenient_old)] == [
        False,
        True,
        False,
        True,
    ]
    assert report.counts == {
        "call(s)": 2,
        "webhook event(s)": 4,
        "tool invocation(s)": 2,
        "notification(s)": 2,
        "inbound text(s)": 0,
    }
    assert report.businesses == 2
    assert report.details[0].startswith("lenient (365 days, before ")


def test_what_a_purged_call_keeps_and_loses(strict):
    call = _recorded_call(strict, days=60, lead=LeadFactory(business=strict))
    retention.purge_call_data(now=NOW)
    call.refresh_from_db()
    assert (call.transcript, call.messages) == ("", [])
    assert (call.recording_url, call.stereo_recording_url) == ("", "")
    assert (call.duration_seconds, call.cost, call.intent) == (
        94,
        Decimal("0.19"),
        "book",
    )
    assert call.lead is not None and call.status == Call.Status.ENDED
    events = WebhookEvent.objects.filter(vapi_call_id=call.vapi_call_id)
    assert [(e.payload, e.response) for e in events] == [(PURGED, PURGED)] * 2
    assert {e.type for e in events} == {"status-update", "transcript"}
    tool = ToolInvocation.objects.get(call=call)
    assert (tool.arguments, tool.result, tool.name) == (
        PURGED,
        "",
        "check_availability",
    )
    notification = Notification.objects.get(call=call)
    assert (notification.subject, notification.body) == ("", retention.PURGED_TEXT)
    assert notification.recipient == "frontdesk@example.com"


def test_purging_keeps_every_count_staff_report_on(strict, lenient):
    seed_demo_business(password="demo-pass")
    for days in (5, 45, 90, 400):
        _recorded_call(strict, days=days, lead=LeadFactory(business=strict))
        _recorded_call(lenient, days=days)
    AppointmentFactory(business=strict, source_call=Call.objects.first())
    before = _staff_counts()
    retention.purge_call_data(now=NOW)
    assert _staff_counts() == before


def test_a_purged_call_says_when_and_why(strict):
    old = _recorded_call(strict, days=60)
    recent = _recorded_call(strict, days=10)
    retention.purge_call_data(now=NOW)
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.purged_at, old.purge_reason) == (NOW, Call.PurgeReason.RETENTION)
    assert old.updated_at == NOW
    assert (recent.purged_at, recent.purge_reason) == (None, "")


def test_a_call_that_recorded_nothing_is_marked_once_like_the_others(strict):
    empty = CallFactory(business=strict, started_at=_days_ago(60), transcript="")
    first = retention.purge_call_data(now=NOW)
    second = retention.purge_call_data(now=NOW + dt.timedelta(days=1))
    empty.refresh_from_db()
    assert (first.counts["call(s)"], second.counts["call(s)"]) == (1, 0)
    assert empty.purged_at == NOW  # the first purge's, not moved by the second


def test_purging_twice_changes_nothing_the_second_time(strict):
    _recorded_call(strict, days=60)
    retention.purge_call_data(now=NOW)
    snapshot = list(Call.objects.values()), list(WebhookEvent.objects.values())
    report = retention.purge_call_data(now=NOW)
    assert set(report.counts.values()) == {0}
    assert (
        list(Call.objects.values()),
        list(WebhookEvent.objects.values()),
    ) == snapshot


def test_notifications_still_to_be_sent_keep_their_bodies(strict):
    queued = NotificationFactory(business=strict, status=Notification.Status.QUEUED)
    Notification.objects.filter(pk=queued.pk).update(created_at=_days_ago(60))
    retention.purge_call_data(now=NOW)
    queued.refresh_from_db()
    assert queued.body == "Dana Whitfield called about a bridal party."


def test_one_business_only(strict, lenient):
    strict_old = _recorded_call(strict, days=400)
    lenient_old = _recorded_call(lenient, days=400)
    report = retention.purge_call_data(business=lenient, now=NOW)
    assert report.businesses == 1
    assert (_is_purged(strict_old), _is_purged(lenient_old)) == (False, True)


def test_calls_to_no_business_keep_the_default_retention():
    kept = CallFactory(business=None, started_at=_days_ago(300))
    old = CallFactory(business=None, started_at=_days_ago(400))
    orphan = WebhookEventFactory(vapi_call_id="never-a-call")
    WebhookEvent.objects.filter(pk=orphan.pk).update(received_at=_days_ago(400))
    report = retention.purge_call_data(now=NOW)
    assert (_is_purged(kept), _is_purged(old)) == (False, True)
    orphan.refresh_from_db()
    assert orphan.payload == PURGED
    assert report.details == [
        "calls to no business: 1 call(s), 1 webhook event(s), 0 tool invocation(s), "
        "0 notification(s), 0 inbound text(s)"
    ]


def test_a_call_never_started_ages_from_its_row(strict):
    call = CallFactory(business=strict, started_at=None, ended_at=None)
    Call.objects.filter(pk=call.pk).update(created_at=_days_ago(60))
    retention.purge_call_data(now=NOW)
    assert _is_purged(call)


def test_a_dry_run_counts_and_changes_nothing(strict):
    call = _recorded_call(strict, days=60)
    report = retention.purge_call_data(dry_run=True, now=NOW)
    assert report.counts["call(s)"] == 1
    assert report.summary().startswith("Would purge 1 call(s), 2 webhook event(s)")
    assert not _is_purged(call)
    assert not WebhookEvent.objects.filter(payload=PURGED).exists()


def test_purging_many_rows_takes_a_few_queries_per_batch(strict):
    calls = CallFactory.create_batch(120, business=strict, started_at=_days_ago(60))
    WebhookEvent.objects.bulk_create(
        WebhookEvent(
            call=call,
            vapi_call_id=call.vapi_call_id,
            type="status-update",
            dedupe_key=f"k{n}",
            payload={"message": {}},
        )
        for n, call in enumerate(calls)
    )
    WebhookEvent.objects.update(received_at=_days_ago(60))
    progress = []
    with CaptureQueriesContext(connection) as queries:
        report = retention.purge_call_data(
            batch_size=50, now=NOW, progress=lambda d, t: progress.append((d, t))
        )
    assert report.counts["call(s)"] == report.counts["webhook event(s)"] == 120
    # 3 batches per table, each a select, an update and its savepoint's 2 statements;
    # plus the businesses and the counts. Nothing per row.
    assert len(queries) < 45  # for 240 rows
    assert progress == [(50, 240), (100, 240), (120, 240), (170, 240), (220, 240),
                        (240, 240)]  # fmt: skip
    assert Call.objects.filter(transcript="", purged_at=NOW).count() == 120
