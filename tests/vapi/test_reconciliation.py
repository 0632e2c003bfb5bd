import datetime as dt
import json

import pytest
from django.utils import timezone

from apps.calls.models import Call, WebhookEvent
from apps.leads.models import Lead
from apps.vapi import intake, protocol, reconciliation
from tests.vapi.payloads import load_payload
from tests.vapi.payloads.vapi_api import (
    CALL_ID,
    PHONE_NUMBER_ID,
    call_in_progress,
    ended_call,
    spec_errors,
)

pytestmark = pytest.mark.django_db


NOW = timezone.now()
WINDOW = {"since": NOW - dt.timedelta(days=1), "until": NOW}


@pytest.fixture(autouse=True)
def _clock_at_now(time_machine):
    # NOW is taken at import; a long suite must not age the "too recent" calls.
    time_machine.move_to(NOW)


def test_the_built_report_reads_like_the_one_vapi_posts():
    posted = protocol.parse(load_payload("11-end-of-call-report"))
    call = ended_call()

    built = protocol.parse(reconciliation.build_end_of_call_report(call))

    assert built.type == protocol.END_OF_CALL_REPORT
    assert built.dedupe_key == posted.dedupe_key == f"{CALL_ID}:end-of-call-report"
    assert built.report == posted.report
    for name in ("call_id", "call_type", "phone_number_id", "caller_number"):
        assert getattr(built, name) == getattr(posted, name)
    for name in ("ended_reason", "started_at", "ended_at"):
        assert getattr(built, name) == getattr(posted, name)
    assert "artifact" not in built.body["call"]  # promoted, not stored twice


def test_reconcile_ingests_a_lost_report_once(fake_vapi, vapi_client, salon):
    fake_vapi.add_call(ended_call(ended_at=NOW - dt.timedelta(hours=2)))

    first = reconciliation.reconcile_calls(**WINDOW, client=vapi_client)
    second = reconciliation.reconcile_calls(**WINDOW, client=vapi_client)

    assert (first.listed, first.ingested, first.failed) == (1, [CALL_ID], [])
    assert (second.ingested, second.already_received) == ([], 1)
    event = WebhookEvent.objects.get()
    assert event.dedupe_key == f"{CALL_ID}:end-of-call-report"
    assert event.status == WebhookEvent.Status.PROCESSED
    call = Call.objects.get(vapi_call_id=CALL_ID)
    assert call.business == salon
    assert call.status == Call.Status.ENDED
    assert call.transcript.startswith("AI: Thanks for calling Maison Belle")
    assert str(call.cost) == "0.1992"
    assert call.duration_seconds == 94
    assert call.analysis_status == Call.AnalysisStatus.PENDING
    assert call.lead == Lead.objects.get(phone="+15125550187")


def test_a_report_the_webhook_already_stored_is_not_ingested_again(
    fake_vapi,
    vapi_client,
    salon,
):
    intake.receive_vapi_message(protocol.parse(load_payload("11-end-of-call-report")))
    moved = ended_call(ended_at=NOW - dt.timedelta(hours=2))
    fake_vapi.add_call(moved)

    report = reconciliation.reconcile_calls(**WINDOW, client=vapi_client)

    assert (report.ingested, report.already_received) == ([], 1)
    assert WebhookEvent.objects.count() == 1


def test_calls_not_ended_or_ended_too_recently_are_left_for_the_webhook(
    fake_vapi,
    vapi_client,
    salon,
):
    fake_vapi.add_call(
        call_in_progress("live", started_at=NOW - dt.timedelta(minutes=3))
    )
    fake_vapi.add_call(ended_call("fresh", ended_at=NOW - dt.timedelta(minutes=1)))

    report = reconciliation.reconcile_calls(**WINDOW, client=vapi_client)

    assert (report.listed, report.not_ended, report.too_recent) == (2, 1, 1)
    assert report.ingested == []
    assert not WebhookEvent.objects.exists()
    assert not Call.objects.exists()


def test_a_dry_run_reports_what_it_would_ingest_and_writes_nothing(
    fake_vapi,
    vapi_client,
    salon,
):
    fake_vapi.add_call(ended_call(ended_at=NOW - dt.timedelta(hours=2)))

    report = reconciliation.reconcile_calls(**WINDOW, client=vapi_client, dry_run=True)

    assert report.ingested == [CALL_ID]
    assert report.summary().startswith("Would ingest 1 missing end-of-call report(s)")
    assert not WebhookEvent.objects.exists()
    assert not Call.objects.exists()


def test_for_one_business_only_its_numbers_are_asked_for(fake_vapi, vapi_client, salon):
    fake_vapi.add_call(ended_call(ended_at=NOW - dt.timedelta(hours=2)))
    fake_vapi.add_call(
        ended_call(
            "elsewhere", ended_at=NOW - dt.timedelta(hours=3), phoneNumberId="other"
        )
    )

    report = reconciliation.reconcile_calls(
        **WINDOW, business=salon, client=vapi_client
    )

    assert report.ingested == [CALL_ID]
    assert [q["phoneNumberId"] for q in fake_vapi.call_queries] == [PHONE_NUMBER_ID]


def test_a_report_the_webhook_path_fails_on_is_reported_and_kept(
    fake_vapi,
    vapi_client,
    salon,
    mocker,
):
    mocker.patch(
        "apps.leads.services.get_or_create_lead_for_caller",
        side_effect=RuntimeError("lead table locked"),
    )
    fake_vapi.add_call(ended_call(ended_at=NOW - dt.timedelta(hours=2)))

    report = reconciliation.reconcile_calls(**WINDOW, client=vapi_client)

    assert report.ingested == []
    assert report.failed == [f"{CALL_ID}: RuntimeError: lead table locked"]
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.FAILED


def test_a_call_vapi_describes_badly_is_reported_not_stored(
    fake_vapi, vapi_client, salon
):
    fake_vapi.add_call(ended_call(ended_at=NOW - dt.timedelta(hours=2), customer="x"))

    report = reconciliation.reconcile_calls(**WINDOW, client=vapi_client)

    assert report.failed == [f"{CALL_ID}: 'message.customer' must be an object."]
    assert not WebhookEvent.objects.exists()


def test_progress_is_reported_after_each_call(fake_vapi, vapi_client, salon):
    for hours in (2, 3):
        fake_vapi.add_call(
            ended_call(f"c{hours}", ended_at=NOW - dt.timedelta(hours=hours))
        )
    seen = []

    reconciliation.reconcile_calls(
        **WINDOW,
        client=vapi_client,
        progress=lambda done, total: seen.append((done, total)),
    )

    assert seen == [(1, 2), (2, 2)]


def test_the_summary_counts_every_outcome():
    report = reconciliation.ReconcileReport(
        since=dt.datetime(2025, 3, 13, 16, tzinfo=dt.UTC),
        until=dt.datetime(2025, 3, 14, 16, tzinfo=dt.UTC),
        listed=5,
        ingested=["a"],
        already_received=2,
        not_ended=1,
        too_recent=0,
        failed=["b: boom"],
    )

    assert report.summary() == (
        "Ingested 1 missing end-of-call report(s) from 5 VAPI call(s) created "
        "2025-03-13 16:00 UTC to 2025-03-14 16:00 UTC: 2 already received, "
        "1 not ended, 0 ended too recently, 1 failed."
    )


def test_the_stored_payload_is_the_built_report(fake_vapi, vapi_client, salon):
    call = fake_vapi.add_call(ended_call(ended_at=NOW - dt.timedelta(hours=2)))

    reconciliation.reconcile_calls(**WINDOW, client=vapi_client)

    stored = WebhookEvent.objects.get().payload
    built = json.loads(json.dumps(reconciliation.build_end_of_call_report(call)))
    assert stored == intake.stored_payload(protocol.parse(built))


def test_the_built_report_is_a_spec_end_of_call_report():
    message = reconciliation.build_end_of_call_report(ended_call())["message"]

    assert spec_errors(message, "ServerMessageEndOfCallReport") == []
