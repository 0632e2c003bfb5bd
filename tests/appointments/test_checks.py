import pytest
from django.core import checks

from apps.appointments.checks import check_services
from tests.appointments.factories import ProviderFactory, ServiceFactory
from tests.businesses.factories import BusinessFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def salon():
    business = BusinessFactory(slug="salon")
    service = ServiceFactory(business=business, name="haircut")
    ProviderFactory(business=business).services.add(service)
    return business


def test_staffed_services_pass(salon):
    assert check_services() == [
        checks.Info("services: 1 bookable", obj="salon", id="appointments.I001")
    ]


def test_a_service_nobody_does_is_an_error(salon):
    ServiceFactory(business=salon, name="balayage")

    assert check_services() == [
        checks.Error(
            "services: No active provider does: balayage; they can never be booked.",
            hint="Assign a provider to each service in the admin, or deactivate it.",
            obj="salon",
            id="appointments.E002",
        )
    ]


def test_inactive_providers_do_not_count(salon):
    salon.providers.update(is_active=False)

    [message] = check_services()

    assert message.id == "appointments.E002"


def test_no_active_service_is_an_error(salon):
    salon.services.update(is_active=False)
    BusinessFactory(is_active=False)

    assert check_services() == [
        checks.Error(
            "services: No active service: Roxy cannot book anything.",
            hint="Add services (and the providers who do them) in the admin.",
            obj="salon",
            id="appointments.E001",
        )
    ]
