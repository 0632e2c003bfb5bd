import datetime as dt

import pytest
from django.db.models import Q
from django.utils import timezone

from apps.appointments.models import Appointment
from apps.calls.models import Call, ToolInvocation, WebhookEvent
from apps.core.phones import InvalidPhoneError
from apps.demo.services import seed_demo_business
from apps.leads.models import CallbackRequest, Lead
from apps.notifications.models import Notification
from apps.privacy import erasure, retention
from apps.vapi import intake, protocol
from tests.businesses.factories import BusinessFactory
from tests.calls.factories import (
    CallFactory,
    ToolInvocationFactory,
    WebhookEventFactory,
)
from tests.leads.factories import CallbackRequestFactory, LeadFactory
from tests.notifications.factories import NotificationFactory, SmsNotificationFactory
from tests.vapi.payloads import CALL_ID, load_payload

pytestmark = pytest.mark.django_db

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


@pytest.fixture
def demo():
    """The demo salon after Dana's example call came in through the webhook."""
    business = seed_demo_business(password="demo-pass").business
    for name in EXAMPLE_CALL:
        intake.receive_vapi_message(protocol.parse(load_payload(name)))
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

    report = erasure.erase_caller("(512) 555-0187")

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
    erasure.erase_caller(DANA, business=dana_everywhere)
    erased = Call.objects.filter(business=dana_everywhere, purged_at__isnull=False)
    assert {c.purge_reason for c in erased} == {Call.PurgeReason.ERASURE}
    assert erased.count() == 2
    assert all(c.purged_at == c.updated_at for c in erased)
    stamps = {
        pk: (at, Call.PurgeReason.ERASURE)
        for pk, at in erased.values_list("pk", "purged_at")
    }
    later = timezone.now() + dt.timedelta(days=400)
    retention.purge_call_data(business=dana_everywhere, now=later)
    after = Call.objects.filter(pk__in=stamps)
    assert {
        pk: (at, why)
        for pk, at, why in after.values_list("pk", "purged_at", "purge_reason")
    } == stamps


def test_erasure_at_one_business_leaves_the_others(dana_everywhere):
    report = erasure.erase_caller(DANA, business=dana_everywhere)
    assert report.scope == "maison-belle"
    assert list(
        Lead.objects.filter(phone=DANA).values_list("business__slug", flat=True)
    )
    assert Call.objects.filter(caller_number=DANA).count() == 2  # downtown, no business
    assert report.anonymised["calls"] == 2
    assert report.deleted["leads"] == 2


def test_a_dry_run_reports_the_same_numbers_and_changes_nothing(dana_everywhere):
    counts = {m: m.objects.count() for m in (Lead, Call, WebhookEvent, Notification)}
    dry = erasure.erase_caller(DANA, dry_run=True)
    assert {m: m.objects.count() for m in counts} == counts
    assert Call.objects.filter(caller_number=DANA).count() == 4
    assert not Call.objects.filter(purged_at__isnull=False).exists()
    real = erasure.erase_caller(DANA)
    assert (dry.deleted, dry.anonymised, dry.redacted) == (
        real.deleted,
        real.anonymised,
        real.redacted,
    )
    assert dry.summary().startswith("Would erase +15125550187 from every business")


def test_erasing_twice_is_refused_the_second_time(dana_everywhere):
    erasure.erase_caller(DANA)
    with pytest.raises(
        erasure.ErasureError, match="Nothing on file for \\+15125550187"
    ):
        erasure.erase_caller(DANA)


def test_a_caller_nobody_knows_is_refused(demo):
    with pytest.raises(erasure.ErasureError, match="Nothing on file"):
        erasure.erase_caller("+15125550999")


def test_a_caller_known_elsewhere_is_refused_at_this_business(demo):
    elsewhere = BusinessFactory()
    with pytest.raises(erasure.ErasureError, match=f"at {elsewhere.slug}"):
        erasure.erase_caller(DANA, business=elsewhere)


def test_a_number_that_is_not_one_is_refused(demo):
    with pytest.raises(InvalidPhoneError):
        erasure.erase_caller("555")


def test_a_pending_analysis_is_skipped_once_nothing_is_left(demo):
    call = Call.objects.get(vapi_call_id=CALL_ID)
    Call.objects.filter(pk=call.pk).update(analysis_status=Call.AnalysisStatus.PENDING)
    erasure.erase_caller(DANA)
    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.SKIPPED


def test_the_report_lists_each_table_once_per_outcome(dana_everywhere):
    report = erasure.erase_caller(DANA)
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
