import copy
import datetime as dt
from decimal import Decimal

import pytest

from apps.vapi import json_body, protocol
from tests.vapi.payloads import (
    CALL_ID,
    CALLER,
    NAMES,
    PHONE_NUMBER_ID,
    SALON_LINE,
    load_payload,
    payload_bytes,
)

EXPECTED_TYPES = {
    "01": protocol.ASSISTANT_REQUEST,
    "02": protocol.STATUS_UPDATE,
    "03": protocol.CONVERSATION_UPDATE,
    "04": protocol.TOOL_CALLS,
    "05": protocol.TOOL_CALLS,
    "06": protocol.TOOL_CALLS,
    "07": protocol.TRANSCRIPT,
    "08": protocol.SPEECH_UPDATE,
    "09": protocol.HANG,
    "10": protocol.STATUS_UPDATE,
    "11": protocol.END_OF_CALL_REPORT,
    "12": protocol.TRANSFER_DESTINATION_REQUEST,
    "13": protocol.FUNCTION_CALL,
}


def message_with(name: str, **changes) -> dict:
    raw = copy.deepcopy(load_payload(name))
    raw["message"].update(changes)
    return raw


@pytest.mark.parametrize("name", NAMES)
def test_every_example_parses_with_its_call_and_numbers(name):
    message = protocol.parse(json_body.loads(payload_bytes(name)))

    assert message.type == EXPECTED_TYPES[name[:2]]
    assert message.call_id == CALL_ID
    assert message.call_type == "inboundPhoneCall"
    assert message.phone_number_id == PHONE_NUMBER_ID
    assert message.phone_number == SALON_LINE
    assert message.caller_number == CALLER
    assert isinstance(message.timestamp_ms, int)


def test_status_update_carries_status_reason_and_times():
    message = protocol.parse(load_payload("10-status-update-ended"))

    assert message.status == "ended"
    assert message.ended_reason == "customer-ended-call"
    assert message.started_at == dt.datetime(2025, 3, 14, 15, 15, 0, 977000, dt.UTC)
    assert message.ended_at == dt.datetime(2025, 3, 14, 15, 16, 35, 277000, dt.UTC)


def test_final_only_transcript_type_is_a_transcript():
    raw = message_with("07-transcript", type='transcript[transcriptType="final"]')

    assert protocol.parse(raw).type == protocol.TRANSCRIPT


def test_tool_arguments_as_object_or_string_parse_the_same():
    as_object = protocol.parse(load_payload("04-tool-calls-check-availability"))
    as_string = protocol.parse(
        load_payload("04b-tool-calls-check-availability.arguments-as-string")
    )

    assert as_object.tool_calls == as_string.tool_calls
    (tool_call,) = as_object.tool_calls
    assert tool_call.id == "call_4kQm8ZtR2xVbN7pLw3sYdE1c"
    assert tool_call.name == "check_availability"
    assert tool_call.arguments == {
        "service": "haircut_and_color",
        "date": "2025-03-15",
        "time_preference": "afternoon",
    }


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ("{not json", "The tool arguments were not valid JSON."),
        ("[1, 2]", "The tool arguments must be an object."),
        (7, "The tool arguments must be an object."),
    ],
)
def test_unreadable_tool_arguments_become_an_error_for_the_tool(arguments, error):
    raw = load_payload("04-tool-calls-check-availability")
    raw["message"]["toolCallList"][0]["function"]["arguments"] = arguments

    (tool_call,) = protocol.parse(raw).tool_calls

    assert tool_call.arguments == {}
    assert tool_call.arguments_error == error


def test_older_tool_call_shapes_are_understood():
    raw = load_payload("04-tool-calls-check-availability")
    del raw["message"]["toolCallList"]
    raw["message"]["toolCalls"] = [
        {"id": "call_1", "name": "check_availability", "parameters": {"date": "x"}}
    ]

    (tool_call,) = protocol.parse(raw).tool_calls

    assert tool_call == protocol.ToolCall("call_1", "check_availability", {"date": "x"})


@pytest.mark.parametrize(
    "parameters", [{"date": "2025-03-15"}, '{"date": "2025-03-15"}']
)
def test_legacy_function_call_becomes_one_tool_call(parameters):
    raw = load_payload("13-function-call-legacy")
    raw["message"]["functionCall"]["parameters"] = parameters

    (tool_call,) = protocol.parse(raw).tool_calls

    assert tool_call.name == "check_availability"
    assert tool_call.arguments == {"date": "2025-03-15"}
    assert tool_call.id.startswith(f"{CALL_ID}:function-call:")


def test_caller_falls_back_to_the_call_customer():
    raw = load_payload("09-hang")
    del raw["message"]["customer"]

    assert protocol.parse(raw).caller_number == CALLER


def test_phone_number_id_falls_back_to_the_call():
    raw = load_payload("09-hang")
    del raw["message"]["phoneNumber"]

    message = protocol.parse(raw)

    assert message.phone_number_id == PHONE_NUMBER_ID
    assert message.phone_number == ""


def test_end_of_call_report_reads_artifact_analysis_and_costs():
    report = protocol.parse(load_payload("11-end-of-call-report")).report

    assert report.transcript.startswith("AI: Thanks for calling Maison Belle")
    assert len(report.messages) == 20
    assert report.recording_url.startswith("https://storage.vapi.ai/")
    assert report.stereo_recording_url.startswith("https://storage.vapi.ai/")
    assert report.recording_url != report.stereo_recording_url
    assert report.cost == Decimal("0.1992")
    assert report.cost_breakdown["llm"] == 0.0586
    assert [c["type"] for c in report.cost_breakdown["costs"]][:2] == [
        "transport",
        "transcriber",
    ]
    assert report.summary.startswith("Dana Whitfield called Maison Belle")
    assert report.structured_data["intent"] == "book"
    assert report.success_evaluation == "true"


def test_end_of_call_report_falls_back_to_legacy_top_level_fields():
    raw = load_payload("11b-end-of-call-report.with-observed-legacy-fields")
    legacy = raw["message"]
    del (
        legacy["artifact"],
        legacy["analysis"]["summary"],
        legacy["call"]["costBreakdown"],
    )
    del legacy["costs"]

    report = protocol.parse(raw).report

    assert report.transcript == legacy["transcript"]
    assert report.messages == legacy["messages"]
    assert report.recording_url == legacy["recordingUrl"]
    assert report.stereo_recording_url == legacy["stereoRecordingUrl"]
    assert report.summary == legacy["summary"]
    assert report.cost_breakdown == legacy["costBreakdown"]


def test_recording_object_is_used_when_the_url_fields_are_missing():
    raw = load_payload("11-end-of-call-report")
    artifact = raw["message"]["artifact"]
    del artifact["recordingUrl"], artifact["stereoRecordingUrl"]

    report = protocol.parse(raw).report

    assert report.recording_url == artifact["recording"]["mono"]["combinedUrl"]
    assert report.stereo_recording_url == artifact["recording"]["stereoUrl"]


@pytest.mark.parametrize(
    ("value", "expected"), [(True, "true"), (8, "8"), ("Pass", "Pass"), (None, "")]
)
def test_success_evaluation_is_always_text(value, expected):
    raw = load_payload("11-end-of-call-report")
    raw["message"]["analysis"]["successEvaluation"] = value

    assert protocol.parse(raw).report.success_evaluation == expected


def test_only_end_of_call_reports_carry_a_report():
    assert protocol.parse(load_payload("10-status-update-ended")).report is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ([], "The body must be a JSON object."),
        ("message", "The body must be a JSON object."),
        ({}, "The body must have a 'message' object."),
        ({"message": []}, "The body must have a 'message' object."),
        ({"message": {}}, "'message.type' must be a non-empty string."),
        ({"message": {"type": ""}}, "'message.type' must be a non-empty string."),
        ({"message": {"type": 3}}, "'message.type' must be a non-empty string."),
        ({"message": {"type": "x" * 65}}, "'message.type' is too long."),
    ],
)
def test_broken_envelopes_are_refused(raw, reason):
    with pytest.raises(protocol.VapiPayloadError, match=reason.replace(".", r"\.")):
        protocol.parse(raw)


@pytest.mark.parametrize(
    ("name", "change", "path"),
    [
        ("09-hang", {"call": "abc"}, "message.call"),
        ("09-hang", {"call": {"id": 12}}, "message.call.id"),
        ("09-hang", {"timestamp": "1741965388607"}, "message.timestamp"),
        ("09-hang", {"timestamp": True}, "message.timestamp"),
        ("09-hang", {"phoneNumber": "+15125550142"}, "message.phoneNumber"),
        ("09-hang", {"customer": {"number": 5125550187}}, "message.customer.number"),
        ("10-status-update-ended", {"status": None}, "message.status"),
        ("10-status-update-ended", {"status": 3}, "message.status"),
        ("10-status-update-ended", {"endedReason": ["x"]}, "message.endedReason"),
        ("10-status-update-ended", {"startedAt": 1741965300}, "message.startedAt"),
        ("11-end-of-call-report", {"artifact": []}, "message.artifact"),
        ("11-end-of-call-report", {"analysis": "good"}, "message.analysis"),
        ("11-end-of-call-report", {"cost": "0.19"}, "message.cost"),
        ("11-end-of-call-report", {"costs": {}}, "message.costs"),
        ("04-tool-calls-check-availability", {"toolCallList": {}}, "toolCallList"),
        ("04-tool-calls-check-availability", {"toolCallList": [{}]}, "string 'id'"),
        ("13-function-call-legacy", {"functionCall": "f"}, "message.functionCall"),
    ],
)
def test_fields_we_rely_on_must_have_their_json_type(name, change, path):
    with pytest.raises(protocol.VapiPayloadError, match=path.replace(".", r"\.")):
        protocol.parse(message_with(name, **change))


def test_report_fields_with_the_wrong_type_are_refused():
    raw = load_payload("11-end-of-call-report")
    raw["message"]["artifact"]["transcript"] = {"text": "hi"}

    with pytest.raises(protocol.VapiPayloadError, match="message.artifact.transcript"):
        protocol.parse(raw)


def test_ids_longer_than_vapi_ever_sends_are_refused():
    raw = load_payload("09-hang")
    raw["message"]["call"]["id"] = "x" * 65

    with pytest.raises(protocol.VapiPayloadError, match="too long"):
        protocol.parse(raw)


def test_dedupe_key_is_stable_for_a_redelivery_and_differs_between_messages():
    first = protocol.parse(load_payload("09-hang"))
    again = protocol.parse(load_payload("09-hang"))
    other = protocol.parse(load_payload("08-speech-update"))

    assert first.dedupe_key == again.dedupe_key == f"{CALL_ID}:hang:1741965388607"
    assert other.dedupe_key != first.dedupe_key


def test_dedupe_key_of_a_report_ignores_its_timestamp():
    first = protocol.parse(load_payload("11-end-of-call-report"))
    retried = protocol.parse(message_with("11-end-of-call-report", timestamp=1))

    assert first.dedupe_key == retried.dedupe_key == f"{CALL_ID}:end-of-call-report"


def test_dedupe_key_of_tool_calls_names_every_tool_call():
    message = protocol.parse(load_payload("05-tool-calls-book-appointment"))

    assert message.dedupe_key.endswith(":call_9hJd2PqW6nCe4tXa8vLm0KzR")


def test_without_timestamp_the_content_tells_messages_apart():
    first = protocol.parse({"message": {"type": "chat.created", "chat": {"id": "a"}}})
    second = protocol.parse({"message": {"type": "chat.created", "chat": {"id": "b"}}})
    again = protocol.parse({"message": {"type": "chat.created", "chat": {"id": "a"}}})

    assert first.dedupe_key != second.dedupe_key
    assert first.dedupe_key == again.dedupe_key


def test_dedupe_key_fits_its_column():
    raw = load_payload("04-tool-calls-check-availability")
    item = raw["message"]["toolCallList"][0]
    raw["message"]["toolCallList"] = [
        dict(item, id=f"call_{n:0>100}") for n in range(5)
    ]

    assert len(protocol.parse(raw).dedupe_key) == 255


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "2025-03-14T15:15:00.977Z",
            dt.datetime(2025, 3, 14, 15, 15, 0, 977000, dt.UTC),
        ),
        ("2025-03-14T10:15:00-05:00", dt.datetime(2025, 3, 14, 15, 15, tzinfo=dt.UTC)),
        ("2025-03-14T15:15:00", dt.datetime(2025, 3, 14, 15, 15, tzinfo=dt.UTC)),
        ("yesterday", None),
        ("", None),
        (None, None),
        ("9999-12-31T23:59:59-05:00", None),
    ],
)
def test_parse_datetime_gives_aware_utc_or_none(value, expected):
    assert protocol.parse_datetime(value) == expected
