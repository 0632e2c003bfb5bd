import pytest
from django.contrib.auth.models import Group

from apps.businesses import roles

pytestmark = pytest.mark.django_db


def _codenames(group_name):
    group = Group.objects.get(name=group_name)
    return set(group.permissions.values_list("content_type__app_label", "codename"))


def test_migrate_ships_both_staff_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        roles.FRONT_DESK,
        roles.MANAGER,
    }


def test_front_desk_works_leads_and_appointments_but_not_business_settings():
    perms = _codenames(roles.FRONT_DESK)
    assert ("leads", "change_lead") in perms
    assert ("appointments", "add_appointment") in perms
    assert ("appointments", "change_service") not in perms
    assert ("businesses", "change_business") not in perms


def test_managers_also_run_settings_services_providers_and_hours():
    perms = _codenames(roles.MANAGER)
    assert perms >= _codenames(roles.FRONT_DESK) - {("leads", "delete_lead")}
    for perm in [
        ("businesses", "change_business"),
        ("appointments", "change_service"),
        ("appointments", "add_provider"),
        ("businesses", "add_openinghours"),
        ("businesses", "add_closure"),
    ]:
        assert perm in perms


def test_ensure_staff_groups_is_idempotent_and_restores_removed_permissions():
    group = Group.objects.get(name=roles.MANAGER)
    group.permissions.clear()
    roles.ensure_staff_groups()
    roles.ensure_staff_groups()
    assert Group.objects.filter(name=roles.MANAGER).count() == 1
    assert ("businesses", "change_business") in _codenames(roles.MANAGER)
