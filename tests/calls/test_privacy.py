import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Q, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.appointments.models import Appointment
from apps.calls import privacy, services, vapi
from apps.calls.models import Call, ToolInvocation, WebhookEvent
from apps.core.phones import InvalidPhoneError
from apps.demo.services import seed_demo_business
from apps.leads.models import CallbackRequest, Lead
from apps.notifications.models import Notification
from tests.appointments.factories import AppointmentFactory
from tests.businesses.factories import BusinessFactory
from tests.calls.factories import (
    CallFactory,
    ToolInvocationFactory,
    WebhookEventFactory,
)
from tests.calls.payloads import CALL_ID, load_payload
from tests.leads.factories import CallbackRequestFactory, LeadFactory
from tests.notifications.factories import NotificationFactory, SmsNotificationFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()
DANA = "+15125550187"
MARCUS = "+15125550133"
EXAMPLE_CALL = (
    "01-assistant-request",
    "02-status-update-in-progress",
    "03-conversation-update",
    "04-tool-calls-check-availability",
    "06-tool-calls-capture-lead",
    "07-transcript",
    "10-status-update-ended",
    "11-end-of-call-report",
)


def _days_ago(days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


# --- Retention ---


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

    report = privacy.purge_call_data(now=NOW)

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
    }
    assert report.businesses == 2
    assert report.details[0].startswith("lenient (365 days, before ")


def test_what_a_purged_call_keeps_and_loses(strict):
    call = _recorded_call(strict, days=60, lead=LeadFactory(business=strict))
    privacy.purge_call_data(now=NOW)
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
    assert [(e.payload, e.response) for e in events] == [
        (privacy.PURGED, privacy.PURGED)
    ] * 2
    assert {e.type for e in events} == {"status-update", "transcript"}
    tool = ToolInvocation.objects.get(call=call)
    assert (tool.arguments, tool.result, tool.name) == (
        privacy.PURGED,
        "",
        "check_availability",
    )
    notification = Notification.objects.get(call=call)
    assert (notification.subject, notification.body) == ("", privacy.PURGED_TEXT)
    assert notification.recipient == "frontdesk@example.com"


def test_purging_keeps_every_count_staff_report_on(strict, lenient):
    seed_demo_business(password="demo-pass")
    for days in (5, 45, 90, 400):
        _recorded_call(strict, days=days, lead=LeadFactory(business=strict))
        _recorded_call(lenient, days=days)
    AppointmentFactory(business=strict, source_call=Call.objects.first())
    before = _staff_counts()
    privacy.purge_call_data(now=NOW)
    assert _staff_counts() == before


def test_a_purged_call_says_when_and_why(strict):
    old = _recorded_call(strict, days=60)
    recent = _recorded_call(strict, days=10)
    privacy.purge_call_data(now=NOW)
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.purged_at, old.purge_reason) == (NOW, Call.PurgeReason.RETENTION)
    assert old.updated_at == NOW
    assert (recent.purged_at, recent.purge_reason) == (None, "")


def test_a_call_that_recorded_nothing_is_marked_once_like_the_others(strict):
    empty = CallFactory(business=strict, started_at=_days_ago(60), transcript="")
    first = privacy.purge_call_data(now=NOW)
    second = privacy.purge_call_data(now=NOW + dt.timedelta(days=1))
    empty.refresh_from_db()
    assert (first.counts["call(s)"], second.counts["call(s)"]) == (1, 0)
    assert empty.purged_at == NOW  # the first purge's, not moved by the second


def test_purging_twice_changes_nothing_the_second_time(strict):
    _recorded_call(strict, days=60)
    privacy.purge_call_data(now=NOW)
    snapshot = list(Call.objects.values()), list(WebhookEvent.objects.values())
    report = privacy.purge_call_data(now=NOW)
    assert set(report.counts.values()) == {0}
    assert (
        list(Call.objects.values()),
        list(WebhookEvent.objects.values()),
    ) == snapshot


def test_notifications_still_to_be_sent_keep_their_bodies(strict):
    queued = NotificationFactory(business=strict, status=Notification.Status.QUEUED)
    Notification.objects.filter(pk=queued.pk).update(created_at=_days_ago(60))
    privacy.purge_call_data(now=NOW)
    queued.refresh_from_db()
    assert queued.body == "Dana Whitfield called about a bridal party."


def test_one_business_only(strict, lenient):
    strict_old = _recorded_call(strict, days=400)
    lenient_old = _recorded_call(lenient, days=400)
    report = privacy.purge_call_data(business=lenient, now=NOW)
    assert report.businesses == 1
    assert (_is_purged(strict_old), _is_purged(lenient_old)) == (False, True)


def test_calls_to_no_business_keep_the_default_retention():
    kept = CallFactory(business=None, started_at=_days_ago(300))
    old = CallFactory(business=None, started_at=_days_ago(400))
    orphan = WebhookEventFactory(vapi_call_id="never-a-call")
    WebhookEvent.objects.filter(pk=orphan.pk).update(received_at=_days_ago(400))
    report = privacy.purge_call_data(now=NOW)
    assert (_is_purged(kept), _is_purged(old)) == (False, True)
    orphan.refresh_from_db()
    assert orphan.payload == privacy.PURGED
    assert report.details == [
        "calls to no business: 1 call(s), 1 webhook event(s), 0 tool invocation(s), "
        "0 notification(s)"
    ]


def test_a_call_never_started_ages_from_its_row(strict):
    call = CallFactory(business=strict, started_at=None, ended_at=None)
    Call.objects.filter(pk=call.pk).update(created_at=_days_ago(60))
    privacy.purge_call_data(now=NOW)
    assert _is_purged(call)


def test_a_dry_run_counts_and_changes_nothing(strict):
    call = _recorded_call(strict, days=60)
    report = privacy.purge_call_data(dry_run=True, now=NOW)
    assert report.counts["call(s)"] == 1
    assert report.summary().startswith("Would purge 1 call(s), 2 webhook event(s)")
    assert not _is_purged(call)
    assert not WebhookEvent.objects.filter(payload=privacy.PURGED).exists()


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
        report = privacy.purge_call_data(
            batch_size=50, now=NOW, progress=lambda d, t: progress.append((d, t))
        )
    assert report.counts["call(s)"] == report.counts["webhook event(s)"] == 120
    # 3 batches per table, each a select, an update and its savepoint's 2 statements;
    # plus the businesses and the counts. Nothing per row.
    assert len(queries) < 45  # for 240 rows
    assert progress == [(50, 240), (100, 240), (120, 240), (170, 240), (220, 240),
                        (240, 240)]  # fmt: skip
    assert Call.objects.filter(transcript="", purged_at=NOW).count() == 120


# --- Erasure ---


@pytest.fixture
def demo():
    """The demo salon after Dana's example call came in through the webhook."""
    business = seed_demo_business(password="demo-pass").business
    for name in EXAMPLE_CALL:
        services.receive_vapi_message(vapi.parse(load_payload(name)))
    return business


@pytest.fixture
def dana_everywhere(demo):
    """Dana's data in every table, at the demo salon and at a second business."""
    dana = Lead.objects.get(business=demo, phone=DANA)
    call = Call.objects.get(vapi_call_id=CALL_ID)
    CallbackRequestFactory(business=demo, lead=dana, call=call)
    NotificationFactory(business=demo, kind="new_lead", lead=dana, call=call)
    SmsNotificationFactory(business=demo, kind="missed_call", recipient=DANA)
    LeadFactory(business=demo, phone="", email="Dana.Whitfield@example.com")
    NotificationFactory(
        business=demo,
        kind="daily_digest",
        subject="Maison Belle daily summary",
        body="Needs follow-up:\n- Dana Whitfield ((512) 555-0187): bridal\n"
        "- Marcus Lee ((512) 555-0133): men's cut",
    )
    marcus_call = Call.objects.get(vapi_call_id="demo-call-2")
    ToolInvocationFactory(call=marcus_call, arguments={"phone": MARCUS})
    WebhookEventFactory(call=marcus_call, vapi_call_id=marcus_call.vapi_call_id)
    elsewhere = BusinessFactory(slug="downtown")
    other_lead = LeadFactory(business=elsewhere, phone=DANA, name="Dana W.")
    other_call = CallFactory(business=elsewhere, lead=other_lead, caller_number=DANA)
    ToolInvocationFactory(call=other_call)
    WebhookEventFactory(call=other_call, vapi_call_id=other_call.vapi_call_id)
    CallFactory(business=None, caller_number=DANA)  # dialled a number we don't know
    return demo


def _others() -> dict:
    """The ids of every row that is not Dana's, to prove erasure leaves them alone."""
    rows = {
        Lead: Lead.objects.exclude(phone=DANA).exclude(phone=""),
        Call: Call.objects.exclude(caller_number=DANA),
        WebhookEvent: WebhookEvent.objects.exclude(vapi_call_id=CALL_ID).exclude(
            call__caller_number=DANA
        ),
        ToolInvocation: ToolInvocation.objects.exclude(call__caller_number=DANA),
        Notification: Notification.objects.filter(
            Q(lead__phone=MARCUS) | Q(recipient=MARCUS)
        ),
        Appointment: Appointment.objects.exclude(lead__phone=DANA),
    }
    return {model: list(qs.values_list("pk", flat=True)) for model, qs in rows.items()}


def _snapshot(ids: dict) -> dict:
    return {
        model: list(model.objects.filter(pk__in=pks).order_by("pk").values())
        for model, pks in ids.items()
    }


def test_erasure_removes_the_caller_from_every_table(dana_everywhere):
    others = _others()
    assert all(others.values())  # other callers are on file in every table
    before = _snapshot(others)
    dana_appointment = Appointment.objects.get(lead__phone=DANA)

    report = privacy.erase_caller("(512) 555-0187")

    assert not Lead.objects.filter(phone=DANA).exists()
    assert not Lead.objects.filter(email__iexact="dana.whitfield@example.com").exists()
    assert not CallbackRequest.objects.exists()
    assert not Call.objects.filter(caller_number=DANA).exists()
    for call in Call.objects.filter(vapi_call_id__in=[CALL_ID, "demo-call-1"]):
        assert (call.caller_number, call.transcript, call.messages) == ("", "", [])
        assert (call.recording_url, call.summary, call.vapi_summary) == ("", "", "")
        assert (call.analysis, call.lead) == ({}, None)
        assert call.duration_seconds  # kept for the salon's numbers
    assert not WebhookEvent.objects.filter(vapi_call_id=CALL_ID).exists()
    assert not ToolInvocation.objects.filter(call__vapi_call_id=CALL_ID).exists()
    assert not Notification.objects.filter(recipient__in=[DANA]).exists()
    assert not Notification.objects.filter(
        recipient__iexact="dana.whitfield@example.com"
    ).exists()
    assert not Notification.objects.filter(kind="new_lead").exists()
    digest = Notification.objects.get(kind="daily_digest")
    assert digest.body == (
        "Needs follow-up:\n- [erased] ([erased]): bridal\n"
        "- Marcus Lee ((512) 555-0133): men's cut"
    )
    dana_appointment.refresh_from_db()
    assert (dana_appointment.lead, dana_appointment.notes) == (None, "")
    assert dana_appointment.status == Appointment.Status.BOOKED
    assert _snapshot(others) == before
    assert (
        report.deleted
        == {
            "notifications": 4,  # booking confirmation by SMS and email, new lead, missed call
            "tool invocations": 3,
            "webhook events": 9,
            "callback requests": 1,
            "leads": 3,
        }
    )
    assert report.anonymised == {"appointments": 1, "calls": 4}
    assert report.redacted == {"notifications": 1}
    assert report.upcoming_appointments == 1


def test_erased_calls_say_so_and_retention_leaves_them_be(dana_everywhere):
    privacy.erase_caller(DANA, business=dana_everywhere)
    erased = Call.objects.filter(business=dana_everywhere, purged_at__isnull=False)
    assert {c.purge_reason for c in erased} == {Call.PurgeReason.ERASURE}
    assert erased.count() == 2
    assert all(c.purged_at == c.updated_at for c in erased)
    stamps = {
        pk: (at, Call.PurgeReason.ERASURE)
        for pk, at in erased.values_list("pk", "purged_at")
    }
    later = timezone.now() + dt.timedelta(days=400)
    privacy.purge_call_data(business=dana_everywhere, now=later)
    after = Call.objects.filter(pk__in=stamps)
    assert {
        pk: (at, why)
        for pk, at, why in after.values_list("pk", "purged_at", "purge_reason")
    } == stamps


def test_erasure_at_one_business_leaves_the_others(dana_everywhere):
    report = privacy.erase_caller(DANA, business=dana_everywhere)
    assert report.scope == "maison-belle"
    assert list(
        Lead.objects.filter(phone=DANA).values_list("business__slug", flat=True)
    )
    assert Call.objects.filter(caller_number=DANA).count() == 2  # downtown, no business
    assert report.anonymised["calls"] == 2
    assert report.deleted["leads"] == 2


def test_a_dry_run_reports_the_same_numbers_and_changes_nothing(dana_everywhere):
    counts = {m: m.objects.count() for m in (Lead, Call, WebhookEvent, Notification)}
    dry = privacy.erase_caller(DANA, dry_run=True)
    assert {m: m.objects.count() for m in counts} == counts
    assert Call.objects.filter(caller_number=DANA).count() == 4
    assert not Call.objects.filter(purged_at__isnull=False).exists()
    real = privacy.erase_caller(DANA)
    assert (dry.deleted, dry.anonymised, dry.redacted) == (
        real.deleted,
        real.anonymised,
        real.redacted,
    )
    assert dry.summary().startswith("Would erase +15125550187 from every business")


def test_erasing_twice_is_refused_the_second_time(dana_everywhere):
    privacy.erase_caller(DANA)
    with pytest.raises(
        privacy.ErasureError, match="Nothing on file for \\+15125550187"
    ):
        privacy.erase_caller(DANA)


def test_a_caller_nobody_knows_is_refused(demo):
    with pytest.raises(privacy.ErasureError, match="Nothing on file"):
        privacy.erase_caller("+15125550999")


def test_a_caller_known_elsewhere_is_refused_at_this_business(demo):
    elsewhere = BusinessFactory()
    with pytest.raises(privacy.ErasureError, match=f"at {elsewhere.slug}"):
        privacy.erase_caller(DANA, business=elsewhere)


def test_a_number_that_is_not_one_is_refused(demo):
    with pytest.raises(InvalidPhoneError):
        privacy.erase_caller("555")


def test_a_pending_analysis_is_skipped_once_nothing_is_left(demo):
    call = Call.objects.get(vapi_call_id=CALL_ID)
    Call.objects.filter(pk=call.pk).update(analysis_status=Call.AnalysisStatus.PENDING)
    privacy.erase_caller(DANA)
    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.SKIPPED


def test_the_report_lists_each_table_once_per_outcome(dana_everywhere):
    report = privacy.erase_caller(DANA)
    assert report.lines() == [
        "leads                   3 deleted",
        "callback requests       1 deleted",
        "calls                   4 anonymised (row kept)",
        "appointments            1 anonymised (row kept)",
        "tool invocations        3 deleted",
        "webhook events          9 deleted",
        "notifications           4 deleted",
        "notifications           1 redacted (mentions of them blanked)",
    ]
