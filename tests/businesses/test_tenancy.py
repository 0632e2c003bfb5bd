import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from apps.appointments.models import Appointment
from apps.businesses.models import Business, Membership
from apps.businesses.tenancy import businesses_for, scope_to_user
from apps.businesses.tenant_admin import TenantScopedAdmin
from apps.calls.models import WebhookEvent
from tests.appointments.factories import AppointmentFactory
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.calls.factories import CallFactory, WebhookEventFactory
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_tenants():
    mine, theirs = BusinessFactory(), BusinessFactory()
    user = MembershipFactory(business=mine, role=Membership.Role.MANAGER).user
    return user, mine, theirs


def test_businesses_for_a_member_are_only_their_own(two_tenants):
    user, mine, _ = two_tenants
    assert list(businesses_for(user)) == [mine]


def test_superusers_see_every_business(two_tenants):
    boss = UserFactory(is_superuser=True)
    assert businesses_for(boss).count() == 2


def test_an_inactive_user_sees_nothing(two_tenants):
    user, _, _ = two_tenants
    user.is_active = False
    assert not businesses_for(user).exists()


def test_scope_to_user_follows_the_business_field(two_tenants):
    user, mine, theirs = two_tenants
    own = AppointmentFactory(business=mine)
    AppointmentFactory(business=theirs)
    assert list(scope_to_user(Appointment.objects.all(), user)) == [own]
    assert list(scope_to_user(Business.objects.all(), user)) == [mine]


def test_scope_to_user_follows_an_explicit_path(two_tenants):
    user, mine, theirs = two_tenants
    own = WebhookEventFactory(call=CallFactory(business=mine))
    WebhookEventFactory(call=CallFactory(business=theirs))
    WebhookEventFactory(call=None)  # unknown number: superusers only
    assert list(scope_to_user(WebhookEvent.objects.all(), user)) == [own]


def test_scope_to_user_shows_nothing_of_a_model_without_a_business(two_tenants):
    user, _, _ = two_tenants
    assert not scope_to_user(get_user_model().objects.all(), user).exists()


def test_foreign_key_choices_are_scoped(two_tenants):
    user, mine, _ = two_tenants
    model_admin = TenantScopedAdmin(Appointment, admin.site)
    request = RequestFactory().get("/")
    request.user = user
    field = model_admin.formfield_for_foreignkey(
        Appointment._meta.get_field("business"), request
    )
    assert list(field.queryset) == [mine]
