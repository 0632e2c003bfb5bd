import pytest

from apps.vapi import sync as vapi_sync
from apps.vapi.client import VapiApiError
from tests.businesses.factories import BusinessFactory
from tests.vapi.payloads.vapi_api import (
    CREDENTIAL_ID,
    PHONE_NUMBER_ID,
    SERVER_URL,
    number_pointing_at_us,
    phone_number,
    spec_errors,
)

pytestmark = pytest.mark.django_db


# --- Phone numbers ---


def test_plan_shows_every_field_that_keeps_calls_from_reaching_roxy(
    fake_vapi,
    vapi_client,
    salon,
):
    fake_vapi.add_phone_number(phone_number())

    [change] = vapi_sync.plan_phone_number_sync(salon, client=vapi_client)

    assert change.describe() == [
        f"maison-belle +15125550142 [{PHONE_NUMBER_ID}]:",
        "  server.url: 'https://api.maisonbelle.example/vapi/webhook' -> "
        f"'{SERVER_URL}'",
        "  server.credentialId: 'b7d4c1a2-9e8f-4a3b-8c5d-6e7f8a9b0c1d' -> "
        f"'{CREDENTIAL_ID}'",
        "  assistantId: '5a7c9e1b-3d5f-4a6b-8c9d-0e1f2a3b4c5d' -> (unset)",
        "  fallbackDestination.number: (unset) -> '+15125550100'",
    ]
    assert fake_vapi.patches == []


def test_the_patch_keeps_the_rest_of_the_server_and_names_the_provider(
    fake_vapi,
    vapi_client,
    salon,
):
    fake_vapi.add_phone_number(phone_number())

    [change] = vapi_sync.plan_phone_number_sync(salon, client=vapi_client)

    assert change.patch == {
        "provider": "twilio",
        "server": {
            "url": SERVER_URL,
            "timeoutSeconds": 20,
            "credentialId": CREDENTIAL_ID,
            "backoffPlan": {"type": "fixed", "maxRetries": 2, "baseDelaySeconds": 1},
        },
        "assistantId": None,
        "fallbackDestination": {"type": "number", "number": "+15125550100"},
    }


def test_apply_patches_vapi_and_a_second_plan_finds_nothing_to_do(
    fake_vapi,
    vapi_client,
    salon,
):
    fake_vapi.add_phone_number(phone_number())
    changes = vapi_sync.plan_phone_number_sync(salon, client=vapi_client)

    applied = vapi_sync.apply_phone_number_sync(changes, client=vapi_client)

    assert applied == changes
    assert [number_id for number_id, _ in fake_vapi.patches] == [PHONE_NUMBER_ID]
    stored = fake_vapi.phone_numbers[PHONE_NUMBER_ID]
    assert stored["server"]["url"] == SERVER_URL
    assert "assistantId" not in stored
    again = vapi_sync.plan_phone_number_sync(salon, client=vapi_client)
    assert [c.is_in_sync for c in again] == [True]
    assert vapi_sync.apply_phone_number_sync(again, client=vapi_client) == []
    assert len(fake_vapi.patches) == 1


def test_a_number_already_pointing_at_us_is_left_alone(fake_vapi, vapi_client, salon):
    fake_vapi.add_phone_number(number_pointing_at_us())

    [change] = vapi_sync.plan_phone_number_sync(salon, client=vapi_client)

    assert change.is_in_sync
    assert change.describe() == [
        f"maison-belle +15125550142 [{PHONE_NUMBER_ID}]: in sync"
    ]


def test_squads_and_workflows_are_cleared_too(fake_vapi, vapi_client, salon):
    fake_vapi.add_phone_number(number_pointing_at_us(squadId="sq-1", workflowId="wf-1"))

    [change] = vapi_sync.plan_phone_number_sync(salon, client=vapi_client)

    assert change.patch == {"provider": "twilio", "squadId": None, "workflowId": None}


def test_without_a_transfer_number_the_fallback_is_not_touched(
    fake_vapi,
    vapi_client,
    salon,
):
    salon.transfer_number = ""
    salon.save()
    fake_vapi.add_phone_number(number_pointing_at_us(fallbackDestination=None))

    [change] = vapi_sync.plan_phone_number_sync(salon, client=vapi_client)

    assert change.is_in_sync


def test_our_copy_of_the_digits_is_filled_from_vapi(fake_vapi, vapi_client, salon):
    salon.phone_numbers.update(number="")
    fake_vapi.add_phone_number(number_pointing_at_us())

    [change] = vapi_sync.plan_phone_number_sync(salon, client=vapi_client)
    assert [str(c) for c in change.changes] == [
        "number on file: (unset) -> '+15125550142'"
    ]
    assert change.patch == {}
    vapi_sync.apply_phone_number_sync([change], client=vapi_client)

    assert salon.phone_numbers.get().number == "+15125550142"
    assert fake_vapi.patches == []


def test_an_unknown_number_id_raises_the_api_error(fake_vapi, vapi_client, salon):
    with pytest.raises(VapiApiError, match="404: Phone Number Not Found"):
        vapi_sync.plan_phone_number_sync(salon, client=vapi_client)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("VAPI_SERVER_URL", "", "VAPI_SERVER_URL is not set"),
        ("VAPI_SERVER_URL", "http://voicehive.example.com/x/", "must be an https://"),
        ("VAPI_CREDENTIAL_ID", "", "VAPI_CREDENTIAL_ID is not set"),
    ],
)
def test_unusable_webhook_settings_stop_the_plan_before_any_request(
    fake_vapi,
    vapi_client,
    salon,
    settings,
    setting,
    value,
    message,
):
    setattr(settings, setting, value)

    with pytest.raises(vapi_sync.VapiSyncError, match=message):
        vapi_sync.plan_phone_number_sync(salon, client=vapi_client)

    assert not fake_vapi.router.calls


def test_a_business_without_a_number_gets_a_free_vapi_number_set_up_for_roxy(
    fake_vapi,
    vapi_client,
):
    business = BusinessFactory(
        slug="new-salon", name="New Salon", transfer_number="+15125550100"
    )

    new = vapi_sync.plan_phone_number_creation(business, area_code="512")
    number = vapi_sync.create_phone_number(new, client=vapi_client)

    assert fake_vapi.created == [
        {
            "provider": "vapi",
            "numberDesiredAreaCode": "512",
            "name": "New Salon",
            "server": {
                "url": SERVER_URL,
                "credentialId": CREDENTIAL_ID,
                "timeoutSeconds": 20,
            },
            "fallbackDestination": {"type": "number", "number": "+15125550100"},
        }
    ]
    assert number.business == business
    assert number.number == "+15125550001"
    assert number.vapi_phone_number_id in fake_vapi.phone_numbers
    again = vapi_sync.plan_phone_number_sync(business, client=vapi_client)
    assert [change.is_in_sync for change in again] == [True]


def test_a_business_with_a_number_gets_no_new_one(vapi_api_settings, salon):
    assert vapi_sync.plan_phone_number_creation(salon, area_code="512") is None


# --- What we send VAPI, and store, follows the published spec ---


def test_the_patch_body_is_a_spec_update_but_for_the_null_that_unsets_routing(
    fake_vapi, vapi_client, salon
):
    fake_vapi.add_phone_number(phone_number())

    [change] = vapi_sync.plan_phone_number_sync(salon, client=vapi_client)

    # The spec types assistantId as a string and offers no other way to unset it.
    assert spec_errors(change.patch, "UpdateTwilioPhoneNumberDTO") == [
        "['assistantId']: None is not of type 'string'"
    ]


def test_the_create_body_is_a_spec_vapi_number(vapi_api_settings):
    business = BusinessFactory(transfer_number="+15125550100")

    new = vapi_sync.plan_phone_number_creation(business, area_code="512")

    assert spec_errors(new.body, "CreateVapiPhoneNumberDTO") == []
