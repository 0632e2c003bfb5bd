"""The salon whose VAPI number the example call came in on, and a client for VAPI's API."""

import pytest

from apps.vapi.client import VapiClient
from tests.businesses.factories import BusinessFactory, VapiPhoneNumberFactory
from tests.vapi.payloads import PHONE_NUMBER_ID, SALON_LINE


@pytest.fixture
def salon():
    business = BusinessFactory(slug="maison-belle", transfer_number="+15125550100")
    VapiPhoneNumberFactory(
        business=business, vapi_phone_number_id=PHONE_NUMBER_ID, number=SALON_LINE
    )
    return business


@pytest.fixture
def vapi_client(vapi_api_settings):
    with VapiClient.from_settings() as client:
        yield client
