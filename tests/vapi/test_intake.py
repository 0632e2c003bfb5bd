import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from apps.appointments.models import Appointment
from apps.calls.models import PURGED, Call, ToolInvocation, WebhookEvent
from apps.leads.models import CallbackRequest, Lead
from apps.privacy.erasure import erase_caller
from apps.vapi import call_records, intake, protocol, replay
from tests.businesses.factories import BusinessFactory, VapiPhoneNumberFactory
from tests.leads.factories import LeadFactory
from tests.roxy.salon import NOW, build_salon
from tests.vapi.payloads import (
    CALL_ID,
    CALLER,
    PHONE_NUMBER_ID,
    SALON_LINE,
    load_payload,
)

pytestmark = pytest.mark.django_db

STARTED = dt.datetime(2025, 3, 14, 15, 15, 0, 977000, dt.UTC)
ENDED = dt.datetime(2025, 3, 14, 15, 16, 35, 277000, dt.UTC)


class Responder:
    """Stands in for one of Roxy's handlers and remembers how it was called."""

    def __init__(self, answer=None, error=None):
        self.answer = {"handled": True} if answer is None else answer
        self.error = error
        self.calls = []

    def __call__(self, message, *, business, call):
        self.calls.append({"message": message, "business": business, "call": call})
        if self.error:
            raise self.error
        return self.answer


@pytest.fixture
def responders(monkeypatch):
    fakes = {
        protocol.ASSISTANT_REQUEST: Responder({"assistant": {"name": "Roxy"}}),
        protocol.TRANSFER_DESTINATION_REQUEST: Responder({"destination": {}}),
        protocol.TOOL_CALLS: Responder({"results": []}),
    }
    fakes[protocol.FUNCTION_CALL] = fakes[protocol.TOOL_CALLS]
    for message_type, fake in fakes.items():
        monkeypatch.setitem(intake.RESPONDERS, message_type, fake)
    return fakes


def receive(name, **changes):
    raw = load_payload(name)
    raw["message"].update(changes)
    return intake.receive_vapi_message(protocol.parse(raw))


def the_call():
    return Call.objects.get(vapi_call_id=CALL_ID)


def test_status_update_records_the_call_for_the_business(salon):
    answer = receive("02-status-update-in-progress")

    call = the_call()
    assert answer == {}
    assert call.business == salon
    assert call.type == Call.Type.INBOUND
    assert call.caller_number == CALLER
    assert call.status == Call.Status.IN_PROGRESS
    assert call.started_at == STARTED
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.PROCESSED
    assert event.call == call
    assert event.response == {}
    assert event.payload == load_payload("02-status-update-in-progress")
    assert event.dedupe_key == f"{CALL_ID}:status-update:1741965301018:in-progress"


def test_ended_status_update_sets_reason_times_and_duration(salon):
    receive("10-status-update-ended")

    call = the_call()
    assert call.status == Call.Status.ENDED
    assert call.ended_reason == "customer-ended-call"
    assert (call.started_at, call.ended_at) == (STARTED, ENDED)
    assert call.duration_seconds == 94


def test_an_ended_call_never_goes_back_to_in_progress(salon):
    receive("10-status-update-ended")
    receive("02-status-update-in-progress")

    assert the_call().status == Call.Status.ENDED


@pytest.mark.parametrize("status", ["ringing", "queued", "scheduled", "not-found"])
def test_earlier_or_unknown_statuses_do_not_move_the_call(salon, status):
    receive("02-status-update-in-progress")
    receive("02-status-update-in-progress", status=status, timestamp=1)

    assert the_call().status == Call.Status.IN_PROGRESS


def test_forwarding_comes_after_in_progress(salon):
    receive("02-status-update-in-progress")
    receive("02-status-update-in-progress", status="forwarding", timestamp=1)

    assert the_call().status == Call.Status.FORWARDING


def test_end_of_call_report_records_everything_vapi_reported(salon):
    answer = receive("11-end-of-call-report")

    call = the_call()
    report = load_payload("11-end-of-call-report")["message"]
    assert answer == {}
    assert call.status == Call.Status.ENDED
    assert call.ended_reason == "customer-ended-call"
    assert (call.started_at, call.ended_at, call.duration_seconds) == (
        STARTED,
        ENDED,
        94,
    )
    assert call.transcript == report["artifact"]["transcript"]
    assert call.messages == report["artifact"]["messages"]
    assert call.recording_url == report["artifact"]["recordingUrl"]
    assert call.stereo_recording_url == report["artifact"]["stereoRecordingUrl"]
    assert call.cost == Decimal("0.1992")
    assert call.cost_breakdown["total"] == 0.1992
    assert call.cost_breakdown["costs"] == report["costs"]
    assert call.vapi_summary == report["analysis"]["summary"]
    assert call.vapi_structured_data == report["analysis"]["structuredData"]
    assert call.vapi_success_evaluation == "true"


def test_end_of_call_report_with_legacy_fields_records_the_same(salon):
    receive("11b-end-of-call-report.with-observed-legacy-fields")

    call = the_call()
    assert call.transcript.startswith("AI: Thanks for calling Maison Belle")
    assert call.recording_url.startswith("https://storage.vapi.ai/")
    assert call.cost == Decimal("0.1992")
    assert call.duration_seconds == 94  # from the timestamps, not durationSeconds


def test_end_of_call_report_queues_the_call_for_analysis_as_row_state(salon):
    before = dt.datetime.now(dt.UTC)

    receive("11-end-of-call-report")

    call = the_call()
    assert call.analysis_status == Call.AnalysisStatus.PENDING
    assert call.analysis_requested_at >= before
    assert list(Call.objects.needing_analysis()) == [call]


def test_end_of_call_report_creates_the_callers_lead(salon):
    receive("11-end-of-call-report")

    lead = Lead.objects.get()
    assert the_call().lead == lead
    assert (lead.business, lead.phone) == (salon, CALLER)


def test_end_of_call_report_links_the_existing_lead(salon):
    lead = LeadFactory(business=salon, phone=CALLER)

    receive("11-end-of-call-report")

    assert the_call().lead == lead
    assert Lead.objects.count() == 1


def test_end_of_call_report_for_an_unknown_number_makes_no_lead():
    receive("11-end-of-call-report")

    call = the_call()
    assert call.business is None
    assert call.lead is None
    assert call.analysis_status == Call.AnalysisStatus.PENDING
    assert not Lead.objects.exists()


def test_report_before_the_ended_status_update_keeps_what_it_said(salon):
    receive("11-end-of-call-report", endedReason="assistant-ended-call")
    receive("10-status-update-ended")
    receive("02-status-update-in-progress")

    call = the_call()
    assert call.status == Call.Status.ENDED
    assert call.ended_reason == "assistant-ended-call"
    assert call.duration_seconds == 94


def test_a_cost_beyond_the_column_is_left_out(salon):
    receive("11-end-of-call-report", cost=1e12)

    assert the_call().cost is None  # the raw event keeps it


def test_an_overlong_recording_url_is_left_out_rather_than_cut(salon):
    raw = load_payload("11-end-of-call-report")
    raw["message"]["artifact"]["recordingUrl"] = "https://x.example/" + "a" * 1000
    intake.receive_vapi_message(protocol.parse(raw))

    assert the_call().recording_url == ""


def test_hang_flags_the_call_for_staff(salon):
    receive("09-hang")

    assert the_call().has_hang is True


@pytest.mark.parametrize(
    "name", ["03-conversation-update", "07-transcript", "08-speech-update"]
)
def test_chatty_messages_are_stored_and_acknowledged_without_touching_calls(name):
    assert receive(name) == {}

    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.IGNORED
    assert event.response == {}
    assert event.processed_at is not None
    assert not Call.objects.exists()


def test_unknown_message_types_are_stored_and_acknowledged():
    answer = receive("09-hang", type="call.endpointing.someday")

    assert answer == {}
    assert WebhookEvent.objects.get().type == "call.endpointing.someday"


def test_business_is_found_by_vapi_phone_number_id_before_the_number():
    other = VapiPhoneNumberFactory(number=SALON_LINE).business
    salon = VapiPhoneNumberFactory(
        vapi_phone_number_id=PHONE_NUMBER_ID, number="+15125550999"
    ).business

    receive("09-hang")

    assert the_call().business == salon != other


def test_business_falls_back_to_the_dialled_number():
    salon = VapiPhoneNumberFactory(number=SALON_LINE).business

    receive("09-hang")

    assert the_call().business == salon


def test_find_business_without_any_number_is_none():
    message = protocol.parse({"message": {"type": "hang", "call": {"id": "c1"}}})

    assert call_records.find_business(message) is None


def test_a_call_first_seen_without_its_number_gets_the_business_later():
    business = VapiPhoneNumberFactory(
        vapi_phone_number_id=PHONE_NUMBER_ID, number=SALON_LINE
    ).business
    raw = load_payload("09-hang")
    del raw["message"]["phoneNumber"], raw["message"]["call"]["phoneNumberId"]
    intake.receive_vapi_message(protocol.parse(raw))
    assert the_call().business is None

    receive("10-status-update-ended")

    assert the_call().business == business


@pytest.mark.parametrize(
    ("name", "message_type"),
    [
        ("01-assistant-request", protocol.ASSISTANT_REQUEST),
        ("04-tool-calls-check-availability", protocol.TOOL_CALLS),
        ("13-function-call-legacy", protocol.FUNCTION_CALL),
        ("12-transfer-destination-request", protocol.TRANSFER_DESTINATION_REQUEST),
    ],
)
def test_messages_vapi_waits_on_are_answered_by_roxys_handler(
    salon, responders, name, message_type
):
    responder = responders[message_type]

    answer = receive(name)

    assert answer == responder.answer
    (seen,) = responder.calls
    assert seen["business"] == salon
    assert seen["call"] == the_call()
    assert seen["message"].type == message_type
    event = WebhookEvent.objects.get()
    assert (event.status, event.response) == (WebhookEvent.Status.PROCESSED, answer)


def test_handlers_get_no_business_for_an_unknown_number(responders):
    receive("01-assistant-request")

    (seen,) = responders[protocol.ASSISTANT_REQUEST].calls
    assert seen["business"] is None
    assert seen["call"].business is None


def test_a_redelivered_message_changes_nothing_and_gets_the_same_answer(
    salon, responders
):
    first = receive("04-tool-calls-check-availability")
    touched = the_call().updated_at

    again = receive("04-tool-calls-check-availability")

    assert again == first
    assert len(responders[protocol.TOOL_CALLS].calls) == 1
    assert WebhookEvent.objects.count() == Call.objects.count() == 1
    assert the_call().updated_at == touched


def test_a_redelivered_report_is_not_applied_twice(salon):
    receive("11-end-of-call-report")
    Call.objects.update(transcript="edited by staff")

    receive("11-end-of-call-report", timestamp=1741965999999)

    assert the_call().transcript == "edited by staff"
    assert WebhookEvent.objects.count() == 1


def test_a_report_arriving_after_the_caller_was_erased_brings_nothing_back(salon):
    receive("02-status-update-in-progress")
    erase_caller(the_call().caller_number)
    leads_before = Lead.objects.count()

    receive("11-end-of-call-report")

    call = the_call()
    assert call.status == Call.Status.ENDED and call.ended_at is not None
    assert (call.caller_number, call.transcript, call.messages, call.lead) == (
        "",
        "",
        [],
        None,
    )
    assert call.recording_url == "" and call.vapi_summary == ""
    assert call.analysis_status != Call.AnalysisStatus.PENDING
    assert Lead.objects.count() == leads_before
    (late,) = WebhookEvent.objects.filter(type=protocol.END_OF_CALL_REPORT)
    assert late.payload == PURGED


@pytest.mark.parametrize(
    ("name", "message_type", "expected"),
    [
        ("01-assistant-request", protocol.ASSISTANT_REQUEST, "error"),
        (
            "12-transfer-destination-request",
            protocol.TRANSFER_DESTINATION_REQUEST,
            "error",
        ),
        ("13-function-call-legacy", protocol.FUNCTION_CALL, "result"),
    ],
)
def test_a_failing_handler_still_gets_vapi_an_answer(
    salon, responders, name, message_type, expected
):
    responders[message_type].error = RuntimeError("database went away")

    answer = receive(name)

    assert list(answer) == [expected]
    assert answer[expected]
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.FAILED
    assert event.error == "RuntimeError: database went away"
    assert event.response == answer
    assert event.call == the_call()  # recorded before the handler ran


def test_a_failing_tool_handler_answers_every_tool_call_with_an_error(
    salon, responders
):
    responders[protocol.TOOL_CALLS].error = KeyError("slot")

    answer = receive("05-tool-calls-book-appointment")

    assert answer == {
        "results": [
            {
                "toolCallId": "call_9hJd2PqW6nCe4tXa8vLm0KzR",
                "name": "book_appointment",
                "error": intake.TOOL_FAILURE,
            }
        ]
    }


def test_a_handler_answer_that_is_not_an_object_is_a_failure(salon, responders):
    responders[protocol.ASSISTANT_REQUEST].answer = ["not", "a", "dict"]

    answer = receive("01-assistant-request")

    assert "error" in answer
    assert "not a dict" in WebhookEvent.objects.get().error


def test_a_failing_report_keeps_the_event_and_leaves_the_call_untouched(
    salon, monkeypatch
):
    receive("10-status-update-ended")

    def broken(business, *, phone):
        raise RuntimeError("leads are down")

    monkeypatch.setattr("apps.leads.services.get_or_create_lead_for_caller", broken)
    answer = receive("11-end-of-call-report")

    assert answer == {}
    event = WebhookEvent.objects.get(type=protocol.END_OF_CALL_REPORT)
    assert event.status == WebhookEvent.Status.FAILED
    assert event.error == "RuntimeError: leads are down"
    call = the_call()
    assert call.transcript == ""
    assert call.analysis_status == Call.AnalysisStatus.NOT_STARTED


@pytest.mark.django_db(transaction=True)
def test_the_raw_event_is_committed_even_when_the_handler_fails(salon, responders):
    responders[protocol.TOOL_CALLS].error = RuntimeError("boom")

    receive("04-tool-calls-check-availability")

    event = WebhookEvent.objects.get()
    raw = load_payload("04-tool-calls-check-availability")
    assert event.payload == intake.stored_payload(protocol.parse(raw))
    assert event.status == WebhookEvent.Status.FAILED


def test_a_handler_failing_in_the_database_still_records_the_call(salon, monkeypatch):
    def broken(message, *, business, call):
        with connection.cursor() as cursor:  # on PostgreSQL this aborts the transaction
            cursor.execute("SELECT * FROM no_such_table")

    monkeypatch.setitem(intake.RESPONDERS, protocol.ASSISTANT_REQUEST, broken)

    answer = receive("01-assistant-request")

    assert "error" in answer
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.FAILED
    assert "no_such_table" in event.error
    assert event.call == the_call()
    assert the_call().business == salon


def test_a_booking_whose_answer_cannot_be_stored_is_not_made(monkeypatch, time_machine):
    """The appointment, its outcome and the answer commit together or not at all."""
    time_machine.move_to(NOW, tick=False)
    salon = build_salon()
    finish = intake._finish
    attempts = []

    def answer_cannot_be_stored_the_first_time(event, status, **fields):
        attempts.append(status)
        if len(attempts) == 1:
            raise RuntimeError("disk full")
        finish(event, status, **fields)

    monkeypatch.setattr(intake, "_finish", answer_cannot_be_stored_the_first_time)

    answer = receive("05-tool-calls-book-appointment")

    # Nothing of the booking was kept, so the caller hears the failure...
    message = protocol.parse(load_payload("05-tool-calls-book-appointment"))
    assert answer == intake.fallback_answer(message)
    assert not Appointment.objects.exists()
    assert not ToolInvocation.objects.exists()
    event = WebhookEvent.objects.get()
    assert (event.status, event.error, event.response) == (
        WebhookEvent.Status.FAILED,
        "RuntimeError: disk full",
        answer,
    )
    assert event.call == the_call()

    # ...and replaying the event books it once.
    assert replay.replay_webhook_events(WebhookEvent.objects.all()).replayed == 1
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PROCESSED
    assert event.response["results"][0]["result"].startswith("Booked")
    assert Appointment.objects.get().business == salon.business
    assert ToolInvocation.objects.count() == 1


def test_a_handler_failing_after_writing_leaves_nothing_but_the_failed_event(
    salon, monkeypatch
):
    def writes_then_breaks(message, *, business, call):
        CallbackRequest.objects.create(
            business=business, callback_number="+15125550187", message="kept?"
        )
        raise RuntimeError("after the write")

    monkeypatch.setitem(intake.RESPONDERS, protocol.TOOL_CALLS, writes_then_breaks)

    answer = receive("04-tool-calls-check-availability")

    assert answer["results"][0]["error"] == intake.TOOL_FAILURE
    assert not CallbackRequest.objects.exists()
    event = WebhookEvent.objects.get()
    assert (event.status, event.response) == (WebhookEvent.Status.FAILED, answer)
    assert "after the write" in event.error


def test_an_assistant_request_after_another_message_uses_the_same_call(
    salon, responders
):
    receive("02-status-update-in-progress")

    receive("01-assistant-request")

    (seen,) = responders[protocol.ASSISTANT_REQUEST].calls
    assert seen["call"] == the_call()
    assert seen["business"] == salon
    assert Call.objects.count() == 1
    assert WebhookEvent.objects.filter(call=the_call()).count() == 2


def test_a_tool_call_leaves_its_call_untouched(salon, responders):
    receive("02-status-update-in-progress")
    before = Call.objects.values().get(vapi_call_id=CALL_ID)

    receive("04-tool-calls-check-availability")

    assert Call.objects.values().get(vapi_call_id=CALL_ID) == before


def test_a_tool_call_fills_in_the_business_of_a_call_first_seen_without_it(
    salon, responders
):
    raw = load_payload("09-hang")
    del raw["message"]["phoneNumber"], raw["message"]["call"]["phoneNumberId"]
    intake.receive_vapi_message(protocol.parse(raw))

    receive("04-tool-calls-check-availability")

    assert the_call().business == salon
    (seen,) = responders[protocol.TOOL_CALLS].calls
    assert seen["business"] == salon


def stored_but_unanswered(name):
    message = protocol.parse(load_payload(name))
    event, created = intake.record_webhook_event(message)
    assert created
    return message, event


def test_a_copy_of_an_informational_message_still_in_hand_is_acknowledged_at_once(
    settings, monkeypatch
):
    settings.VAPI_DUPLICATE_WAIT_SECONDS = 30
    message, _ = stored_but_unanswered("11-end-of-call-report")
    monkeypatch.setattr(intake.time, "sleep", pytest.fail)

    assert intake.receive_vapi_message(message) == {}


def test_a_copy_of_a_tool_call_in_hand_waits_for_the_first_answer(
    settings, monkeypatch
):
    settings.VAPI_DUPLICATE_WAIT_SECONDS = 30
    message, event = stored_but_unanswered("04-tool-calls-check-availability")
    first_answer = {"results": [{"toolCallId": "x", "result": "done"}]}

    def first_copy_finishes(seconds):
        WebhookEvent.objects.filter(pk=event.pk).update(response=first_answer)

    monkeypatch.setattr(intake.time, "sleep", first_copy_finishes)

    assert intake.receive_vapi_message(message) == first_answer


def test_a_copy_of_a_tool_call_gives_up_waiting_without_saying_it_failed(settings):
    settings.VAPI_DUPLICATE_WAIT_SECONDS = 0.2
    message, _ = stored_but_unanswered("04-tool-calls-check-availability")

    answer = intake.receive_vapi_message(message)

    assert answer == intake.unanswered_answer(message)
    assert answer["results"][0]["error"] == intake.TOOL_IN_HAND


def test_a_message_without_a_call_is_stored_and_handled_without_one(responders):
    raw = {"message": {"type": "assistant-request", "timestamp": 1}}

    answer = intake.receive_vapi_message(protocol.parse(raw))

    assert answer == {"assistant": {"name": "Roxy"}}
    (seen,) = responders[protocol.ASSISTANT_REQUEST].calls
    assert seen["call"] is None
    assert not Call.objects.exists()
    assert WebhookEvent.objects.get().vapi_call_id == ""


def test_other_business_calls_do_not_interfere(salon):
    BusinessFactory.create_batch(2)

    receive("02-status-update-in-progress")

    assert Call.objects.get().business == salon


def test_a_redelivered_chatty_message_is_stored_once():
    assert receive("07-transcript") == receive("07-transcript") == {}

    assert WebhookEvent.objects.count() == 1


def test_replay_processes_a_failed_event_once_and_then_skips_it(salon, responders):
    responders[protocol.TOOL_CALLS].error = RuntimeError("database blip")
    receive("04-tool-calls-check-availability")
    event = WebhookEvent.objects.get(type=protocol.TOOL_CALLS)
    assert event.status == WebhookEvent.Status.FAILED

    responders[protocol.TOOL_CALLS].error = None
    report = replay.replay_webhook_events(WebhookEvent.objects.filter(pk=event.pk))
    assert report == replay.ReplayReport(replayed=1, failed=0, skipped=0)
    event.refresh_from_db()
    assert (event.status, event.error, event.response) == (
        "processed",
        "",
        {"results": []},
    )

    again = replay.replay_webhook_events(WebhookEvent.objects.filter(pk=event.pk))
    assert again == replay.ReplayReport(replayed=0, failed=0, skipped=1)
    assert len(responders[protocol.TOOL_CALLS].calls) == 2  # the failure and the replay


def test_replay_reports_events_that_still_fail(salon, responders):
    responders[protocol.TOOL_CALLS].error = RuntimeError("still broken")
    receive("04-tool-calls-check-availability")
    report = replay.replay_webhook_events(WebhookEvent.objects.all())
    assert report == replay.ReplayReport(replayed=0, failed=1, skipped=0)
    assert "still broken" in WebhookEvent.objects.get().error


def test_replay_marks_an_unreadable_stored_payload_failed(salon):
    event = WebhookEvent.objects.create(
        type="status-update",
        dedupe_key="broken",
        payload={"nope": 1},
        status="received",
    )
    report = replay.replay_webhook_events(WebhookEvent.objects.filter(pk=event.pk))
    assert report.failed == 1
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.FAILED
    assert "message" in event.error


def test_a_crashed_assistant_request_forwards_to_the_fallback_line(
    salon, responders, settings
):
    settings.VAPI_FALLBACK_TRANSFER_NUMBER = "+15125550100"
    responders[protocol.ASSISTANT_REQUEST].error = RuntimeError("boom")
    answer = receive("01-assistant-request")
    assert answer["destination"]["number"] == "+15125550100"


def test_a_crashed_assistant_request_without_a_fallback_apologises_by_name(
    salon, responders, settings
):
    settings.VAPI_FALLBACK_TRANSFER_NUMBER = ""
    responders[protocol.ASSISTANT_REQUEST].error = RuntimeError("boom")
    answer = receive("01-assistant-request")
    assert answer["error"].startswith(f"Sorry, {salon.name}")


# --- VAPI's word on deleting its copy of a call ---


def deletion_notice(message_type: str) -> dict:
    """A call.deleted-style message: the common fields, with the call and its artifact."""
    raw = load_payload("11-end-of-call-report")
    raw["message"]["type"] = message_type
    for key in ("analysis", "endedReason", "cost", "costs", "startedAt", "endedAt"):
        raw["message"].pop(key, None)
    return raw


def receive_notice(message_type: str) -> dict:
    return intake.receive_vapi_message(protocol.parse(deletion_notice(message_type)))


def test_call_deleted_stamps_the_call_as_deleted_at_vapi(salon):
    receive("10-status-update-ended")

    assert receive_notice(protocol.CALL_DELETED) == {}

    assert the_call().vapi_deleted_at is not None
    event = WebhookEvent.objects.get(type=protocol.CALL_DELETED)
    assert (event.status, event.call, event.response) == (
        WebhookEvent.Status.PROCESSED,
        the_call(),
        {},
    )


def test_call_deleted_twice_keeps_the_first_stamp(salon):
    receive("10-status-update-ended")
    receive_notice(protocol.CALL_DELETED)
    first = the_call().vapi_deleted_at

    receive_notice(protocol.CALL_DELETED)

    assert the_call().vapi_deleted_at == first
    assert WebhookEvent.objects.filter(type=protocol.CALL_DELETED).count() == 1


def test_call_deleted_for_a_call_we_never_had_creates_none():
    assert receive_notice(protocol.CALL_DELETED) == {}

    assert not Call.objects.exists()
    event = WebhookEvent.objects.get()
    assert (event.status, event.vapi_call_id) == (
        WebhookEvent.Status.IGNORED,
        CALL_ID,
    )


def test_deletion_notices_are_stored_without_the_calls_data(salon):
    receive("10-status-update-ended")
    timestamp = deletion_notice(protocol.CALL_DELETED)["message"]["timestamp"]

    receive_notice(protocol.CALL_DELETED)
    receive_notice(protocol.CALL_DELETE_FAILED)

    for event in WebhookEvent.objects.filter(type__startswith="call.delete"):
        assert event.payload == {
            "message": {
                "type": event.type,
                "timestamp": timestamp,
                "call": {"id": CALL_ID},
            }
        }


def test_an_erased_caller_stays_erased_when_vapi_confirms_the_deletion(salon):
    for name in ("02-status-update-in-progress", "11-end-of-call-report"):
        receive(name)
    erase_caller(CALLER)

    receive_notice(protocol.CALL_DELETED)

    call = the_call()
    assert call.vapi_deleted_at is not None
    assert (call.caller_number, call.transcript, call.lead) == ("", "", None)
    stored = str(list(WebhookEvent.objects.values_list("payload", flat=True)))
    assert CALLER not in stored
    assert "Dana" not in stored
    assert not Lead.objects.filter(phone=CALLER).exists()


def test_call_delete_failed_is_stored_and_logged_as_a_warning(salon, caplog):
    receive("10-status-update-ended")

    assert receive_notice(protocol.CALL_DELETE_FAILED) == {}

    assert the_call().vapi_deleted_at is None
    event = WebhookEvent.objects.get(type=protocol.CALL_DELETE_FAILED)
    assert (event.status, event.call) == (WebhookEvent.Status.PROCESSED, the_call())
    (warning,) = [r for r in caplog.records if r.levelname == "WARNING"]
    assert f"VAPI could not delete call {CALL_ID}" in warning.getMessage()
