import pytest
from django.contrib.auth import get_user_model

from apps.appointments.models import Appointment
from apps.businesses.models import Business
from apps.calls.models import Call
from apps.demo import services as demo_services
from apps.leads.models import Lead

pytestmark = pytest.mark.django_db


def test_seed_creates_a_complete_demo_business_with_a_working_login():
    seed = demo_services.seed_demo_business(password="s3cret-pass")
    business = seed.business
    assert seed.created
    assert business.phone_numbers.get().vapi_phone_number_id == (
        demo_services.DEMO_VAPI_PHONE_NUMBER_ID
    )
    assert business.services.count() == 5
    assert business.providers.count() == 2
    assert business.opening_hours.count() == 5
    assert Lead.objects.filter(business=business).count() == 4
    assert Call.objects.filter(business=business).count() == 4
    assert Appointment.objects.filter(business=business).active().count() == 3
    user = get_user_model().objects.get(username=seed.username)
    assert user.check_password("s3cret-pass")
    assert user.memberships.get().business == business


def test_seeding_twice_changes_nothing():
    demo_services.seed_demo_business(password="first-pass")
    again = demo_services.seed_demo_business(password="other-pass")
    assert not again.created
    assert Business.objects.count() == 1
    assert Appointment.objects.count() == 3
    user = get_user_model().objects.get(username=again.username)
    assert user.check_password("first-pass")
