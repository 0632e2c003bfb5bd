import io

import pytest
from django.core.management import CommandError, call_command

from tests.businesses.factories import BusinessFactory, VapiPhoneNumberFactory
from tests.vapi.payloads.vapi_api import (
    PHONE_NUMBER_ID,
    SERVER_URL,
    phone_number,
)

pytestmark = pytest.mark.django_db


def sync(*args):
    out = io.StringIO()
    call_command("sync_vapi_assistant", *args, stdout=out)
    return out.getvalue().splitlines()


def test_dry_run_prints_the_diff_and_changes_nothing(fake_vapi, salon):
    fake_vapi.add_phone_number(phone_number())

    lines = sync("--dry-run")

    assert lines[0] == f"maison-belle +15125550142 [{PHONE_NUMBER_ID}]:"
    assert (
        f"  server.url: 'https://api.maisonbelle.example/vapi/webhook' -> '{SERVER_URL}'"
        in lines
    )
    assert "  assistantId: '5a7c9e1b-3d5f-4a6b-8c9d-0e1f2a3b4c5d' -> (unset)" in lines
    assert lines[-1] == (
        "Would update 1 of 1 VAPI phone number(s) for 1 business(es); 0 already in sync."
    )
    assert fake_vapi.patches == []


def test_a_run_updates_vapi_and_a_second_run_finds_it_in_sync(fake_vapi, salon):
    fake_vapi.add_phone_number(phone_number())

    first = sync()
    second = sync()

    assert first[-1] == (
        "Updated 1 of 1 VAPI phone number(s) for 1 business(es); 0 already in sync."
    )
    assert len(fake_vapi.patches) == 1
    assert second == [
        f"maison-belle +15125550142 [{PHONE_NUMBER_ID}]: in sync",
        "Updated 0 of 1 VAPI phone number(s) for 1 business(es); 1 already in sync.",
    ]


def test_business_limits_the_run_to_that_business(fake_vapi, salon):
    other = VapiPhoneNumberFactory(business__slug="other")
    fake_vapi.add_phone_number(phone_number())

    lines = sync("--business", "maison-belle", "--dry-run")

    assert other.vapi_phone_number_id not in "\n".join(lines)
    assert lines[-1].endswith("for 1 business(es); 0 already in sync.")


def test_inactive_businesses_are_skipped_by_default(fake_vapi, salon):
    salon.is_active = False
    salon.save()

    assert sync() == [
        "Updated 0 of 0 VAPI phone number(s) for 0 business(es); 0 already in sync."
    ]


def test_an_unknown_business_is_an_error(fake_vapi):
    with pytest.raises(CommandError, match="No business with slug 'nope'"):
        sync("--business", "nope")


def test_a_missing_api_key_is_an_error(vapi_api_settings, salon):
    vapi_api_settings.VAPI_API_KEY = ""

    with pytest.raises(CommandError, match="VAPI_API_KEY is not set"):
        sync()


def test_a_missing_webhook_url_is_an_error(fake_vapi, vapi_api_settings, salon):
    vapi_api_settings.VAPI_SERVER_URL = ""

    with pytest.raises(CommandError, match="VAPI_SERVER_URL is not set"):
        sync()


def test_a_rejected_key_is_an_error(fake_vapi, salon):
    fake_vapi.fail(401)

    with pytest.raises(CommandError, match="answered 401: Invalid Key"):
        sync()


def test_create_missing_creates_a_number_for_a_business_without_one(fake_vapi):
    BusinessFactory(slug="new-salon")

    dry = sync("--create-missing", "512", "--dry-run")
    assert fake_vapi.created == []
    lines = sync("--create-missing", "512")

    assert dry[-1] == (
        "Would update 0 of 0 VAPI phone number(s) for 1 business(es); "
        "0 already in sync; would create 1."
    )
    assert lines[:2] == [
        "new-salon: no VAPI phone number on file:",
        f"  create a free VAPI number in area code 512 -> {SERVER_URL}",
    ]
    assert lines[-1].endswith("0 already in sync; created 1.")
    assert len(fake_vapi.created) == 1
    assert sync("--create-missing", "512")[-1].endswith("1 already in sync.")


def test_create_missing_needs_an_area_code(fake_vapi):
    with pytest.raises(CommandError, match="3-digit area code"):
        sync("--create-missing", "austin")
