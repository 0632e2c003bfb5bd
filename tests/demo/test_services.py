import pytest
from django.contrib.auth import get_user_model

from apps.appointments.models import Appointment
from apps.businesses.models import Business, Membership
from apps.calls.models import Call
from apps.demo import services as demo_services
from apps.leads.models import Lead
from apps.roxy.matching import match_name

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
    membership = user.memberships.get(business__slug="maison-belle")
    assert (membership.business, membership.role) == (
        business,
        Membership.Role.MANAGER,
    )
    assert user.is_staff
    assert not user.is_superuser


def test_services_are_named_as_the_studio_writes_them_and_roxy_still_finds_them():
    business = demo_services.seed_demo_business(password="pw").business
    names = set(business.services.values_list("name", flat=True))
    assert names == {
        "Haircut",
        "Haircut and color",
        "Blowout",
        "Balayage",
        "Bridal styling",
    }
    services = list(business.services.all())
    # What the example VAPI call sends (tests/vapi/payloads).
    said = match_name("haircut_and_color", services, key=lambda s: s.name)
    assert said.found.name == "Haircut and color"


def test_seeding_twice_changes_nothing():
    demo_services.seed_demo_business(password="first-pass")
    again = demo_services.seed_demo_business(password="other-pass")
    assert not again.created
    assert Business.objects.count() == 2  # the studio and the clinic
    assert Appointment.objects.count() == 3
    user = get_user_model().objects.get(username=again.username)
    assert user.check_password("first-pass")


def test_seed_can_make_the_login_a_superuser():
    seed = demo_services.seed_demo_business(password="pw", superuser=True)
    user = get_user_model().objects.get(username=seed.username)
    assert user.is_superuser
    assert user.is_staff


def test_seeding_again_demotes_a_superuser_login_and_restores_its_manager_role():
    seed = demo_services.seed_demo_business(password="pw", superuser=True)
    Membership.objects.filter(business=seed.business).update(
        role=Membership.Role.FRONT_DESK
    )
    again = demo_services.seed_demo_business(password="other-pass")
    assert not again.created
    assert not again.login_created
    user = get_user_model().objects.get(username=again.username)
    assert not user.is_superuser
    assert user.is_staff
    assert (
        user.memberships.get(business__slug="maison-belle").role
        == Membership.Role.MANAGER
    )
    assert user.check_password("pw")


def test_seeding_again_recreates_a_deleted_login():
    demo_services.seed_demo_business(password="pw")
    get_user_model().objects.filter(username=demo_services.DEMO_USERNAME).delete()
    again = demo_services.seed_demo_business(password="new-pass")
    assert again.login_created
    user = get_user_model().objects.get(username=again.username)
    assert user.check_password("new-pass")
    assert (
        user.memberships.get(business__slug="maison-belle").business == again.business
    )


def test_seed_volume_adds_leads_with_calls_and_past_visits_that_never_clash():
    seed = demo_services.seed_demo_business(password="pw")
    volume = demo_services.seed_volume(seed.business, leads=23, batch_size=10)
    assert (volume.leads, volume.calls, volume.appointments) == (23, 23, 5)
    assert Lead.objects.filter(business=seed.business).count() == 4 + 23
    visits = Appointment.objects.filter(source_call__vapi_call_id__startswith="volume-")
    assert visits.count() == 5
    assert not visits.active().exists()  # never holds anyone's time
    calls = Call.objects.filter(vapi_call_id__startswith="volume-")
    assert all(call.created_at == call.started_at for call in calls)  # a history
    assert all(call.lead.created_at == call.started_at for call in calls)


def test_seed_volume_runs_again_without_colliding_phones():
    seed = demo_services.seed_demo_business(password="pw")
    demo_services.seed_volume(seed.business, leads=5)
    demo_services.seed_volume(seed.business, leads=5)
    phones = Lead.objects.filter(business=seed.business).values_list("phone", flat=True)
    assert len(set(phones)) == len(phones) == 14


def test_the_second_demo_is_the_spanish_clinic_from_its_file(db):
    from apps.businesses.models import TransferDestination

    seed = demo_services.seed_demo_business(password="pw-for-tests")
    clinic = Business.objects.get(slug="clinica-sol")
    assert clinic.after_hours_mode == Business.AfterHours.FORWARD_URGENT
    assert clinic.recording_consent_required
    assert clinic.slot_minutes == 15
    warm = clinic.transfer_destinations.get(mode=TransferDestination.Mode.WARM)
    assert warm.name == "Dentista de guardia"
    if hasattr(clinic, "languages"):  # issue #16's languages (the other half)
        assert clinic.default_language == "es"
    user = get_user_model().objects.get(username=seed.username)
    assert user.memberships.get(business=clinic).role == Membership.Role.MANAGER
