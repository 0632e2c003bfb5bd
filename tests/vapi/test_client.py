import datetime as dt
import json
import logging

import httpx
import pytest
import respx

from apps.vapi.client import VapiApiError, VapiClient
from tests.vapi.payloads.vapi_api import (
    API_KEY,
    API_URL,
    PHONE_NUMBER_ID,
    ended_call,
    error_body,
    phone_number,
    spec_errors,
)

NOW = dt.datetime(2025, 3, 14, 16, 0, tzinfo=dt.UTC)
NUMBER_URL = f"{API_URL}/phone-number/{PHONE_NUMBER_ID}"


@respx.mock
def test_get_phone_number_sends_the_private_key_as_a_bearer_token(vapi_client):
    route = respx.get(NUMBER_URL).respond(200, json=phone_number())

    number = vapi_client.get_phone_number(PHONE_NUMBER_ID)

    assert number["provider"] == "twilio"
    assert number["server"]["url"] == "https://api.maisonbelle.example/vapi/webhook"
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["Accept"] == "application/json"


@respx.mock
def test_update_phone_number_patches_only_the_given_fields(vapi_client):
    route = respx.patch(NUMBER_URL).respond(200, json=phone_number(name="Front desk"))

    updated = vapi_client.update_phone_number(PHONE_NUMBER_ID, {"name": "Front desk"})

    assert updated["name"] == "Front desk"
    assert json.loads(route.calls.last.request.content) == {"name": "Front desk"}


@respx.mock
def test_list_phone_numbers_asks_for_a_full_page(vapi_client):
    route = respx.get(f"{API_URL}/phone-number").respond(200, json=[phone_number()])

    assert [n["id"] for n in vapi_client.list_phone_numbers()] == [PHONE_NUMBER_ID]
    assert route.calls.last.request.url.params["limit"] == "1000"


@respx.mock
def test_get_call_returns_the_call_with_its_artifact(vapi_client):
    respx.get(f"{API_URL}/call/abc").respond(200, json=ended_call("abc"))

    call = vapi_client.get_call("abc")

    assert call["status"] == "ended"
    assert call["artifact"]["transcript"].startswith("AI: Thanks for calling")


@respx.mock
def test_delete_call_deletes_that_call_alone_and_says_so(vapi_client):
    route = respx.delete(f"{API_URL}/call/abc").respond(200, json=ended_call("abc"))

    assert vapi_client.delete_call("abc") is True

    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert json.loads(request.content) == {}  # no "ids": not a bulk delete


@respx.mock
def test_delete_call_counts_a_call_vapi_does_not_have_as_deleted(vapi_client):
    respx.delete(f"{API_URL}/call/abc").respond(
        404, json={"message": "Not Found", "statusCode": 404}
    )

    assert vapi_client.delete_call("abc") is False


@respx.mock
def test_delete_call_cannot_be_steered_to_another_path(vapi_client):
    route = respx.delete(f"{API_URL}/call/..%2Fphone-number%2Fx").respond(200, json={})

    vapi_client.delete_call("../phone-number/x")

    assert route.called


@pytest.mark.parametrize(
    ("status", "transient"),
    [(503, True), (500, True), (429, True), (408, True), (401, False), (403, False)],
)
@respx.mock
def test_delete_call_errors_say_whether_trying_again_may_help(
    vapi_client, status, transient
):
    respx.delete(f"{API_URL}/call/abc").respond(status, json={"statusCode": status})

    with pytest.raises(VapiApiError) as caught:
        vapi_client.delete_call("abc")

    assert caught.value.status_code == status
    assert caught.value.transient is transient


def test_list_calls_filters_on_creation_time_and_number(fake_vapi, vapi_client):
    fake_vapi.add_call(ended_call("in", ended_at=NOW - dt.timedelta(hours=1)))
    fake_vapi.add_call(ended_call("old", ended_at=NOW - dt.timedelta(days=3)))

    calls = vapi_client.list_calls(
        created_after=NOW - dt.timedelta(days=1),
        created_before=NOW,
        phone_number_id=PHONE_NUMBER_ID,
    )

    assert [c["id"] for c in calls] == ["in"]
    assert fake_vapi.call_queries == [
        {
            "createdAtGe": "2025-03-13T16:00:00.000Z",
            "createdAtLt": "2025-03-14T16:00:00.000Z",
            "limit": "1000",
            "phoneNumberId": PHONE_NUMBER_ID,
        }
    ]


def test_list_calls_splits_the_window_while_pages_come_back_full(
    fake_vapi, vapi_client
):
    for minutes in range(1, 8):
        fake_vapi.add_call(
            ended_call(f"call-{minutes}", ended_at=NOW - dt.timedelta(minutes=minutes))
        )

    calls = vapi_client.list_calls(
        created_after=NOW - dt.timedelta(hours=1), created_before=NOW, limit=3
    )

    assert [c["id"] for c in calls] == [f"call-{m}" for m in range(7, 0, -1)]
    assert len(fake_vapi.call_queries) > 1


def test_list_calls_gives_up_when_one_millisecond_holds_a_full_page(
    fake_vapi, vapi_client
):
    for n in range(2):
        fake_vapi.add_call(ended_call(f"twin-{n}", ended_at=NOW))
    created = dt.datetime.fromisoformat(
        fake_vapi.calls["twin-0"]["createdAt"].replace("Z", "+00:00")
    )

    with pytest.raises(VapiApiError, match="More than 2 calls"):
        vapi_client.list_calls(
            created_after=created,
            created_before=created + dt.timedelta(milliseconds=1),
            limit=2,
        )


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, "answered 401: Invalid Key. Hot tip"),
        (404, "answered 404: Phone Number Not Found"),
        (400, "answered 400: server.timeoutSeconds must not be greater than 300; "),
    ],
)
@respx.mock
def test_error_answers_raise_with_the_status_and_vapi_message(
    vapi_client, status, expected
):
    respx.get(NUMBER_URL).respond(status, json=error_body(status))

    with pytest.raises(VapiApiError, match=expected.replace("?", r"\?")) as caught:
        vapi_client.get_phone_number(PHONE_NUMBER_ID)

    assert caught.value.status_code == status
    assert f"GET /phone-number/{PHONE_NUMBER_ID}" in str(caught.value)


@respx.mock
def test_a_server_error_without_json_is_described_by_its_reason(vapi_client):
    respx.get(f"{API_URL}/call/abc").respond(500, text="<html>upstream</html>")

    with pytest.raises(VapiApiError, match="answered 500: Internal Server Error"):
        vapi_client.get_call("abc")


@respx.mock
def test_a_timeout_raises_without_a_status(vapi_client):
    respx.get(f"{API_URL}/call/abc").mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(VapiApiError, match="timed out") as caught:
        vapi_client.get_call("abc")

    assert caught.value.status_code is None
    assert caught.value.transient is True


@respx.mock
def test_a_connection_failure_raises_without_a_status(vapi_client):
    respx.get(f"{API_URL}/call/abc").mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(VapiApiError, match="ConnectError: refused") as caught:
        vapi_client.get_call("abc")

    assert caught.value.transient is True


@respx.mock
def test_a_success_that_is_not_json_is_an_error(vapi_client):
    respx.get(f"{API_URL}/call/abc").respond(200, text="<html>login</html>")

    with pytest.raises(VapiApiError, match="not JSON"):
        vapi_client.get_call("abc")


def test_a_missing_key_is_refused_before_any_request(vapi_api_settings):
    vapi_api_settings.VAPI_API_KEY = ""

    with pytest.raises(VapiApiError, match="VAPI_API_KEY is not set"):
        VapiClient.from_settings()


@respx.mock
def test_the_key_appears_in_no_error_repr_or_log(vapi_client, caplog):
    caplog.set_level(logging.DEBUG)
    respx.get(NUMBER_URL).respond(401, json=error_body(401))

    with pytest.raises(VapiApiError) as caught:
        vapi_client.get_phone_number(PHONE_NUMBER_ID)

    assert API_KEY not in str(caught.value)
    assert API_KEY not in repr(vapi_client)
    assert API_KEY not in caplog.text


# --- The fixtures are what the published spec describes ---


def test_the_call_fixture_is_a_spec_call():
    assert spec_errors(ended_call(), "Call") == []


def test_the_phone_number_fixture_is_a_spec_twilio_number():
    assert spec_errors(phone_number(), "TwilioPhoneNumber") == []
