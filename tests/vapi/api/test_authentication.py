import time

import pytest

from apps.calls.models import Call, WebhookEvent
from tests.vapi.payloads import payload_bytes
from tests.vapi.webhook import BEARER_SECRET, HMAC_SECRET, bearer, hmac_headers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_settings")]

BODY = payload_bytes("02-status-update-in-progress")


@pytest.fixture
def hmac_only(webhook_settings):
    webhook_settings.VAPI_WEBHOOK_SECRET = ""
    webhook_settings.VAPI_HMAC_SECRET = HMAC_SECRET
    return webhook_settings


def refused(response, reason: str) -> None:
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"] == 'Bearer realm="vapi"'
    assert reason in response.json()["detail"]


def nothing_written() -> bool:
    return not WebhookEvent.objects.exists() and not Call.objects.exists()


def test_the_current_bearer_token_is_accepted(post):
    assert post(BODY, bearer()).status_code == 200


def test_the_previous_bearer_token_is_accepted_during_rotation(post, webhook_settings):
    webhook_settings.VAPI_WEBHOOK_SECRET = "bearer-secret-new"
    webhook_settings.VAPI_WEBHOOK_SECRET_PREVIOUS = BEARER_SECRET

    assert post(BODY, bearer(BEARER_SECRET)).status_code == 200
    assert post(BODY, bearer("bearer-secret-new")).status_code == 200


def test_the_bearer_scheme_is_case_insensitive(post):
    assert post(BODY, {"Authorization": f"bearer {BEARER_SECRET}"}).status_code == 200


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "The Authorization header is missing."),
        (bearer("wrong"), "The bearer token is wrong."),
        (bearer(""), "The bearer token is wrong."),
        ({"Authorization": BEARER_SECRET}, "does not start with 'Bearer '"),
        ({"Authorization": f"Basic {BEARER_SECRET}"}, "does not start with"),
        ({"X-Vapi-Secret": BEARER_SECRET}, "The Authorization header is missing."),
        (bearer(BEARER_SECRET + "x"), "The bearer token is wrong."),
        (bearer("sécret"), "The bearer token is wrong."),
    ],
)
def test_bad_bearer_credentials_are_refused_and_nothing_is_written(
    post, django_assert_num_queries, headers, reason
):
    with django_assert_num_queries(0):
        response = post(BODY, headers)

    refused(response, reason)
    assert nothing_written()


def test_a_retired_token_is_refused_once_previous_is_cleared(post, webhook_settings):
    webhook_settings.VAPI_WEBHOOK_SECRET = "bearer-secret-new"

    refused(post(BODY, bearer(BEARER_SECRET)), "The bearer token is wrong.")


def test_with_no_secret_configured_every_request_is_refused(post, webhook_settings):
    webhook_settings.VAPI_WEBHOOK_SECRET = ""

    refused(post(BODY, bearer("")), "not configured")
    refused(post(BODY, bearer(BEARER_SECRET)), "not configured")
    refused(post(BODY, hmac_headers(BODY)), "not configured")
    assert nothing_written()


def test_only_a_previous_secret_still_authenticates(post, webhook_settings):
    webhook_settings.VAPI_WEBHOOK_SECRET = ""
    webhook_settings.VAPI_WEBHOOK_SECRET_PREVIOUS = BEARER_SECRET

    assert post(BODY, bearer()).status_code == 200


def test_the_legacy_x_vapi_secret_header(post, webhook_settings):
    webhook_settings.VAPI_AUTH_HEADER = "X-Vapi-Secret"
    webhook_settings.VAPI_AUTH_PREFIX = ""

    assert post(BODY, {"X-Vapi-Secret": BEARER_SECRET}).status_code == 200
    assert post(BODY, {"x-vapi-secret": BEARER_SECRET}).status_code == 200
    refused(post(BODY, bearer()), "The X-Vapi-Secret header is missing.")
    refused(post(BODY, {"X-Vapi-Secret": "nope"}), "The bearer token is wrong.")


def test_a_valid_hmac_signature_is_accepted(post, hmac_only):
    assert post(BODY, hmac_headers(BODY)).status_code == 200


def test_the_previous_hmac_secret_is_accepted_during_rotation(post, hmac_only):
    hmac_only.VAPI_HMAC_SECRET = "hmac-secret-new"
    hmac_only.VAPI_HMAC_SECRET_PREVIOUS = HMAC_SECRET

    assert post(BODY, hmac_headers(BODY)).status_code == 200
    assert post(BODY, hmac_headers(BODY, secret="hmac-secret-new")).status_code == 200


@pytest.mark.parametrize("unit", [1, 1000], ids=["seconds", "milliseconds"])
def test_hmac_timestamps_in_seconds_or_milliseconds(post, hmac_only, unit):
    timestamp = str(int(time.time() * unit))

    assert post(BODY, hmac_headers(BODY, timestamp=timestamp)).status_code == 200


@pytest.mark.parametrize("unit", [1, 1000], ids=["seconds", "milliseconds"])
@pytest.mark.parametrize("offset", [-301, 301], ids=["stale", "future"])
def test_hmac_timestamps_outside_five_minutes_are_refused(
    post, hmac_only, unit, offset
):
    timestamp = str(int((time.time() + offset) * unit))

    refused(
        post(BODY, hmac_headers(BODY, timestamp=timestamp)),
        "The HMAC timestamp is not a current time.",
    )
    assert nothing_written()


def test_hmac_timestamps_just_inside_the_window_pass(post, hmac_only):
    timestamp = str(int(time.time() - 290))

    assert post(BODY, hmac_headers(BODY, timestamp=timestamp)).status_code == 200


def test_the_hmac_tolerance_is_configurable(post, hmac_only):
    hmac_only.VAPI_HMAC_TOLERANCE_SECONDS = 10
    timestamp = str(int(time.time() - 60))

    refused(post(BODY, hmac_headers(BODY, timestamp=timestamp)), "not a current time")


@pytest.mark.parametrize("timestamp", ["soon", "nan", "inf", "-inf", "1e400", "0"])
def test_unreadable_hmac_timestamps_are_refused(post, hmac_only, timestamp):
    refused(post(BODY, hmac_headers(BODY, timestamp=timestamp)), "not a current time")


def test_a_tampered_body_fails_the_hmac_check(post, hmac_only):
    headers = hmac_headers(BODY)
    tampered = BODY.replace(b"in-progress", b"ended")

    refused(post(tampered, headers), "The HMAC signature is wrong.")
    assert nothing_written()


def test_hmac_is_checked_over_the_exact_bytes_sent(post, hmac_only):
    reformatted = b"  " + BODY.replace(b'": ', b'":') + b"\n"

    assert post(reformatted, hmac_headers(reformatted)).status_code == 200
    refused(post(reformatted, hmac_headers(BODY)), "The HMAC signature is wrong.")


def test_a_signature_from_another_timestamp_is_refused(post, hmac_only):
    headers = hmac_headers(BODY)
    headers["x-timestamp"] = str(int(headers["x-timestamp"]) + 1)

    refused(post(BODY, headers), "The HMAC signature is wrong.")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-signature": "abc"},
        {"x-timestamp": str(int(time.time()))},
    ],
)
def test_missing_hmac_headers_are_refused(post, hmac_only, headers):
    refused(post(BODY, headers), "The HMAC signature or timestamp header is missing.")


def test_a_wrong_hmac_secret_is_refused(post, hmac_only):
    refused(post(BODY, hmac_headers(BODY, secret="guess")), "HMAC signature is wrong")


def test_hmac_hex_signatures_may_be_upper_case(post, hmac_only):
    headers = hmac_headers(BODY)
    headers["x-signature"] = headers["x-signature"].upper()

    assert post(BODY, headers).status_code == 200


def test_hmac_header_names_prefix_and_encoding_follow_settings(post, hmac_only):
    hmac_only.VAPI_HMAC_SIGNATURE_HEADER = "x-vapi-signature"
    hmac_only.VAPI_HMAC_TIMESTAMP_HEADER = "x-vapi-timestamp"
    hmac_only.VAPI_HMAC_SIGNATURE_PREFIX = "sha256="
    hmac_only.VAPI_HMAC_SIGNATURE_ENCODING = "base64"
    signed = hmac_headers(BODY, encoding="base64", prefix="sha256=")
    headers = {
        "x-vapi-signature": signed["x-signature"],
        "x-vapi-timestamp": signed["x-timestamp"],
    }

    assert post(BODY, headers).status_code == 200
    refused(post(BODY, signed), "header is missing")


def test_with_both_modes_on_either_one_is_enough(post, webhook_settings):
    webhook_settings.VAPI_HMAC_SECRET = HMAC_SECRET

    assert post(BODY, bearer()).status_code == 200
    assert post(BODY, hmac_headers(BODY)).status_code == 200
    response = post(BODY, {})
    refused(response, "The Authorization header is missing.")
    assert (
        "The HMAC signature or timestamp header is missing."
        in (response.json()["detail"])
    )


def test_with_both_modes_on_a_wrong_bearer_does_not_spoil_a_good_signature(
    post, webhook_settings
):
    webhook_settings.VAPI_HMAC_SECRET = HMAC_SECRET

    assert post(BODY, bearer("wrong") | hmac_headers(BODY)).status_code == 200


def test_refusals_are_logged_with_the_reason_but_no_secret(post, caplog):
    post(BODY, bearer("a-guessed-token"))

    assert "The bearer token is wrong." in caplog.text
    assert "a-guessed-token" not in caplog.text
