import copy
import json

import pytest
from django.test import RequestFactory
from django.urls import resolve, reverse

from apps.calls.models import Call, WebhookEvent
from apps.core.logging import current_vapi_call_id
from apps.vapi import intake, protocol
from apps.vapi.api.views import VapiWebhookView
from tests.calls.factories import CallFactory, WebhookEventFactory
from tests.roxy.salon import NOW, build_salon
from tests.vapi.payloads import (
    CALL_ID,
    NAMES,
    load_payload,
    payload_bytes,
)
from tests.vapi.webhook import (
    HMAC_SECRET,
    URL,
    as_bytes,
    bearer,
    hmac_headers,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_settings")]

ASSISTANT_KEYS = {
    "assistant",
    "assistantId",
    "squadId",
    "squad",
    "destination",
    "error",
}


@pytest.fixture(params=["bearer", "x-vapi-secret", "hmac"])
def credentials(request, webhook_settings):
    """Headers for a body, in each way VAPI can be set up to authenticate."""
    if request.param == "x-vapi-secret":
        webhook_settings.VAPI_AUTH_HEADER = "X-Vapi-Secret"
        webhook_settings.VAPI_AUTH_PREFIX = ""
        return lambda body: {"X-Vapi-Secret": webhook_settings.VAPI_WEBHOOK_SECRET}
    if request.param == "hmac":
        webhook_settings.VAPI_WEBHOOK_SECRET = ""
        webhook_settings.VAPI_HMAC_SECRET = HMAC_SECRET
        return hmac_headers
    return lambda body: bearer()


@pytest.fixture
def tool_handler(monkeypatch):
    """Roxy's tools replaced by a recorder, to test only the transport."""
    seen = []

    def answer_tool_calls(message, *, business, call):
        seen.append(message)
        return {
            "results": [
                {"toolCallId": tc.id, "name": tc.name, "result": "ok"}
                for tc in message.tool_calls
            ]
        }

    monkeypatch.setitem(intake.RESPONDERS, protocol.TOOL_CALLS, answer_tool_calls)
    return seen


def assert_answer_fits(message_type: str, raw: dict, answer: dict) -> None:
    """The envelope VAPI expects for each type, at the top level, never wrapped."""
    assert "messageResponse" not in answer
    if message_type == protocol.ASSISTANT_REQUEST:
        assert set(answer) & ASSISTANT_KEYS
    elif message_type == protocol.TOOL_CALLS:
        sent = [tc["id"] for tc in raw["message"]["toolCallList"]]
        assert [r["toolCallId"] for r in answer["results"]] == sent
        assert all(("result" in r) or ("error" in r) for r in answer["results"])
    elif message_type == protocol.FUNCTION_CALL:
        assert isinstance(answer["result"], str)
    elif message_type == protocol.TRANSFER_DESTINATION_REQUEST:
        assert set(answer) & {"destination", "error"}
    else:
        assert answer == {}


def test_the_webhook_url_is_named():
    assert reverse("vapi:webhook") == URL


@pytest.mark.parametrize("name", NAMES)
def test_every_example_is_accepted_with_real_credentials(
    client, salon, credentials, name
):
    body = payload_bytes(name)

    response = client.post(
        URL, body, content_type="application/json", headers=credentials(body)
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    message = protocol.parse(json.loads(body))
    assert_answer_fits(message.type, json.loads(body), response.json())
    event = WebhookEvent.objects.get(dedupe_key=message.dedupe_key)
    assert event.response == response.json()
    assert event.payload == intake.stored_payload(message)


def test_the_whole_example_call_leaves_one_ended_call(post, salon):
    for name in NAMES:
        assert post(payload_bytes(name)).status_code == 200

    call = Call.objects.get()
    assert call.business == salon
    assert call.status == Call.Status.ENDED
    assert call.has_hang
    assert call.analysis_status == Call.AnalysisStatus.PENDING
    keys = {protocol.parse(load_payload(name)).dedupe_key for name in NAMES}
    assert WebhookEvent.objects.count() == len(keys)


def test_a_redelivery_gets_the_same_answer_and_writes_nothing(
    post, salon, tool_handler
):
    body = payload_bytes("05-tool-calls-book-appointment")
    first = post(body)
    events, calls = WebhookEvent.objects.count(), Call.objects.count()

    again = post(body)

    assert again.status_code == 200
    assert again.json() == first.json()
    assert len(tool_handler) == 1
    assert (WebhookEvent.objects.count(), Call.objects.count()) == (events, calls)


def test_ended_then_in_progress_stays_ended(post, salon):
    post(payload_bytes("10-status-update-ended"))
    post(payload_bytes("02-status-update-in-progress"))

    assert Call.objects.get().status == Call.Status.ENDED


def test_report_before_status_update_ends_the_call(post, salon):
    post(payload_bytes("11-end-of-call-report"))
    post(payload_bytes("02-status-update-in-progress"))
    post(payload_bytes("10-status-update-ended"))

    call = Call.objects.get()
    assert call.status == Call.Status.ENDED
    assert call.transcript
    assert call.duration_seconds == 94


def test_both_tool_argument_forms_reach_the_handler_identically(
    post, salon, tool_handler
):
    as_object = load_payload("04-tool-calls-check-availability")
    as_string = load_payload("04b-tool-calls-check-availability.arguments-as-string")
    as_string["message"]["timestamp"] += 1  # else it is a redelivery of the first

    first, second = post(as_object), post(as_string)

    assert first.json() == second.json()
    assert tool_handler[0].tool_calls == tool_handler[1].tool_calls
    assert tool_handler[0].tool_calls[0].arguments["date"] == "2025-03-15"


def test_a_failing_handler_still_answers_200_with_an_error(post, salon, monkeypatch):
    def broken(message, *, business, call):
        raise RuntimeError("boom")

    monkeypatch.setitem(intake.RESPONDERS, protocol.ASSISTANT_REQUEST, broken)

    response = post(payload_bytes("01-assistant-request"))

    assert response.status_code == 200
    assert set(response.json()) == {"error"}
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.FAILED


def test_unknown_message_types_are_acknowledged_and_stored(post):
    raw = load_payload("09-hang")
    raw["message"]["type"] = "session.created"

    response = post(raw)

    assert (response.status_code, response.json()) == (200, {})
    assert WebhookEvent.objects.get().type == "session.created"


def test_handlers_run_with_the_call_id_on_every_log_line(post, salon, monkeypatch):
    seen = []

    def answer_tool_calls(message, *, business, call):
        seen.append(current_vapi_call_id.get())
        return {"results": []}

    monkeypatch.setitem(intake.RESPONDERS, protocol.TOOL_CALLS, answer_tool_calls)

    post(payload_bytes("04-tool-calls-check-availability"))

    assert seen == [CALL_ID]
    assert current_vapi_call_id.get() == ""


def test_payloads_are_never_logged(post, salon, caplog, monkeypatch):
    raw = load_payload("11-end-of-call-report")
    raw["message"]["phoneNumber"]["twilioAuthToken"] = "tw-secret-4f1c"
    caplog.set_level("DEBUG")

    def broken(business, *, phone):
        raise RuntimeError("leads are down")

    monkeypatch.setattr("apps.leads.services.get_or_create_lead_for_caller", broken)
    post(raw)
    post(raw)
    post({"message": {"type": 7, "secret": "tw-secret-4f1c"}})

    assert "tw-secret-4f1c" not in caplog.text
    assert "Dana Whitfield" not in caplog.text
    assert "end-of-call-report" in caplog.text


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not valid UTF-8 JSON"),
        (b"{", "not valid UTF-8 JSON"),
        (b"\xff\xfe\x00", "not valid UTF-8 JSON"),
        (b'{"message": {"type": "hang", "timestamp": NaN}}', "not valid UTF-8 JSON"),
        (b"[" * 5000 + b"]" * 5000, "nests deeper"),
        (
            b'{"message": {"type": "hang", "x": ' + b"[" * 200 + b"]" * 200 + b"}}",
            "nests deeper",
        ),
        (b"[]", "must be a JSON object"),
        (b'"message"', "must be a JSON object"),
        (b"42", "must be a JSON object"),
        (b"null", "must be a JSON object"),
        (b"{}", "must have a 'message' object"),
        (b'{"message": "hang"}', "must have a 'message' object"),
        (b'{"message": {}}', "'message.type' must be a non-empty string"),
        (b'{"message": {"type": null}}', "'message.type' must be a non-empty string"),
        (b'{"message": {"type": ["hang"]}}', "'message.type' must be"),
        (b'{"message": {"type": "hang", "call": []}}', "'message.call' must be"),
        (b'{"message": {"type": "hang", "call": {"id": 1}}}', "'message.call.id'"),
        (b'{"message": {"type": "hang", "timestamp": "1"}}', "'message.timestamp'"),
        (b'{"message": {"type": "status-update"}}', "'message.status'"),
        (b'{"message": {"type": "tool-calls"}}', "'message.toolCallList'"),
        (b'{"message": {"type": "tool-calls", "toolCallList": [1]}}', "string 'id'"),
        (
            b'{"message": {"type": "end-of-call-report", "artifact": "x"}}',
            "'message.artifact'",
        ),
    ],
)
def test_bad_bodies_get_400_with_a_reason_and_write_nothing(post, body, reason):
    response = post(body)

    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert not WebhookEvent.objects.exists()


def test_a_body_over_the_limit_is_refused_with_413_before_reading(
    post, webhook_settings
):
    webhook_settings.VAPI_MAX_BODY_BYTES = 1000
    body = payload_bytes("11-end-of-call-report")

    response = post(body)

    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    assert not WebhookEvent.objects.exists()


def test_a_body_larger_than_its_content_length_claims_is_refused(webhook_settings):
    webhook_settings.VAPI_MAX_BODY_BYTES = 1000
    request = RequestFactory().post(
        URL,
        payload_bytes("11-end-of-call-report"),
        content_type="application/json",
        headers=bearer(),
    )
    request.META["CONTENT_LENGTH"] = "10"  # e.g. chunked, or a lying client

    response = VapiWebhookView.as_view()(request)

    assert response.status_code == 413


def test_an_unsigned_oversized_body_is_refused_with_413_under_hmac(
    post, webhook_settings
):
    webhook_settings.VAPI_WEBHOOK_SECRET = ""
    webhook_settings.VAPI_HMAC_SECRET = HMAC_SECRET
    webhook_settings.VAPI_MAX_BODY_BYTES = 1000

    response = post(payload_bytes("11-end-of-call-report"), {})

    assert response.status_code == 413


def big_report(size: int) -> bytes:
    raw = load_payload("11-end-of-call-report")
    raw["message"]["artifact"]["transcript"] = "User: hello\n" * (size // 12)
    return as_bytes(raw)


def test_bodies_past_djangos_upload_limit_but_within_ours_are_accepted(post, settings):
    body = big_report(3 * 1024 * 1024)
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = post(body)

    assert response.status_code == 200
    assert len(Call.objects.get().transcript) > 3 * 1000 * 1000


def test_bodies_past_five_megabytes_get_413_not_a_django_error(post):
    response = post(big_report(6 * 1024 * 1024))

    assert response.status_code == 413


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete", "options"])
@pytest.mark.parametrize("headers", [bearer(), {}], ids=["signed", "anonymous"])
def test_only_post_is_allowed(client, method, headers):
    response = getattr(client, method)(URL, headers=headers)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["detail"] == f'Method "{method.upper()}" not allowed.'


def test_head_is_not_allowed_either(client):
    assert client.head(URL).status_code == 405


def test_the_answer_is_json_whatever_the_client_accepts(client):
    response = client.post(
        URL,
        payload_bytes("09-hang"),
        content_type="application/json",
        headers=bearer() | {"Accept": "text/html"},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_a_nul_character_is_stored_without_it(post, salon):
    raw = load_payload("11-end-of-call-report")
    raw["message"]["artifact"]["transcript"] = "AI: hi\u0000 there"

    assert post(raw).status_code == 200
    assert Call.objects.get().transcript == "AI: hi there"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<b>x</b>"])
def test_a_recording_url_that_is_not_http_is_not_stored(post, salon, caplog, url):
    raw = load_payload("11-end-of-call-report")
    artifact = raw["message"]["artifact"]
    artifact["recordingUrl"] = artifact["stereoRecordingUrl"] = url

    response = post(raw)

    assert response.status_code == 200
    call = Call.objects.get()
    assert (call.recording_url, call.stereo_recording_url) == ("", "")
    assert call.transcript  # the rest of the report is kept
    stored = WebhookEvent.objects.get().payload
    assert stored["message"]["artifact"] == raw["message"]["artifact"]
    assert "recording URL from VAPI is not http(s)" in caplog.text
    assert url not in caplog.text


def test_the_view_runs_outside_atomic_requests():
    assert "default" in resolve(URL).func._non_atomic_requests


def status_update_at(timestamp: int, messages: int, status="in-progress") -> dict:
    raw = copy.deepcopy(load_payload("02-status-update-in-progress"))
    raw["message"]["timestamp"] = timestamp
    raw["message"]["status"] = status
    raw["message"]["artifact"] = {"messages": [{"role": "user"}] * messages}
    return raw


@pytest.mark.parametrize("size", [0, 500])
def test_a_status_update_costs_a_few_queries_whatever_the_data_size(
    post, salon, django_assert_max_num_queries, size
):
    CallFactory.create_batch(size // 100, business=salon)
    WebhookEventFactory.create_batch(size // 10)
    post(status_update_at(1, size))  # first sight of the call

    with django_assert_max_num_queries(8):
        response = post(status_update_at(2, size, status="forwarding"))

    assert response.status_code == 200
    assert Call.objects.get(vapi_call_id=CALL_ID).status == Call.Status.FORWARDING


def test_the_first_status_update_of_a_call_costs_a_few_queries(
    post, salon, django_assert_max_num_queries
):
    with django_assert_max_num_queries(11):
        assert post(status_update_at(1, 0)).status_code == 200


@pytest.mark.parametrize("tool_calls", [1, 20])
def test_tool_calls_cost_a_few_queries_around_the_tools(
    post, salon, tool_handler, django_assert_max_num_queries, tool_calls
):
    post(payload_bytes("02-status-update-in-progress"))
    raw = load_payload("04-tool-calls-check-availability")
    item = raw["message"]["toolCallList"][0]
    raw["message"]["toolCallList"] = [
        dict(item, id=f"call_{n}") for n in range(tool_calls)
    ]

    with django_assert_max_num_queries(7):
        response = post(raw)

    assert len(response.json()["results"]) == tool_calls


@pytest.mark.django_db(transaction=True)  # outside a test transaction, as in production
def test_an_availability_check_is_one_transaction_of_ten_statements(
    post, time_machine, django_assert_max_num_queries
):
    build_salon()
    time_machine.move_to(NOW, tick=False)
    post(payload_bytes("02-status-update-in-progress"))

    # (SQLite's BEGIN and COMMIT are captured too; PostgreSQL's are not.)
    with django_assert_max_num_queries(12) as captured:
        response = post(payload_bytes("04-tool-calls-check-availability"))

    assert response.json()["results"][0]["result"].startswith("Openings for")
    # The raw event, the call, four reads, the outcome in its savepoint, the
    # answer on the event, all in one transaction: one commit.
    statements = [query["sql"].split()[0] for query in captured.captured_queries]
    assert statements.count("INSERT") == 2
    assert statements.count("UPDATE") == 1
    assert statements.count("COMMIT") <= 1


def test_a_redelivery_costs_a_failed_insert_and_a_read(
    post, salon, django_assert_max_num_queries
):
    body = payload_bytes("10-status-update-ended")
    post(body)

    with django_assert_max_num_queries(5):
        post(body)


def test_the_schema_is_public_and_describes_the_webhook(client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    operation = response.json()["paths"][URL]["post"]
    assert operation["operationId"] == "vapi_webhook"
    schemas = response.json()["components"]["schemas"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/VapiEnvelope"
    }
    assert schemas["VapiEnvelope"]["required"] == ["message"]
    assert "type" in schemas["VapiMessage"]["required"]
    assert {"200", "400", "401", "405", "413"} <= set(operation["responses"])
    assert list(response.json()["paths"][URL]) == ["post"]


def test_call_deleted_through_the_webhook_costs_a_look_up_an_insert_and_a_stamp(
    post, salon, django_assert_max_num_queries
):
    post(payload_bytes("10-status-update-ended"))
    raw = copy.deepcopy(load_payload("11-end-of-call-report"))
    raw["message"]["type"] = protocol.CALL_DELETED

    # Plus a savepoint around the INSERT, there only inside the test's transaction.
    with django_assert_max_num_queries(5):
        response = post(raw)

    assert (response.status_code, response.json()) == (200, {})
    assert Call.objects.get(vapi_call_id=CALL_ID).vapi_deleted_at is not None
