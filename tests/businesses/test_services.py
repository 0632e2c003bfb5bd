import pytest

from apps.businesses import roles
from apps.businesses import services as business_services
from apps.businesses.models import Membership
from tests.businesses.factories import BusinessFactory
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db


def _groups(user):
    return set(user.groups.values_list("name", flat=True))


def test_add_member_makes_the_user_staff_in_the_roles_group():
    user = UserFactory(is_staff=False)
    business_services.add_member(
        BusinessFactory(), user=user, role=Membership.Role.FRONT_DESK
    )
    user.refresh_from_db()
    assert user.is_staff
    assert _groups(user) == {roles.FRONT_DESK}


def test_the_highest_role_anywhere_decides_the_group():
    user = UserFactory()
    business_services.add_member(
        BusinessFactory(), user=user, role=Membership.Role.FRONT_DESK
    )
    business_services.add_member(
        BusinessFactory(), user=user, role=Membership.Role.MANAGER
    )
    assert _groups(user) == {roles.MANAGER}


def test_changing_a_role_replaces_the_group():
    user = UserFactory()
    business = BusinessFactory()
    business_services.add_member(business, user=user, role=Membership.Role.MANAGER)
    business_services.add_member(business, user=user, role=Membership.Role.FRONT_DESK)
    assert Membership.objects.get(user=user).role == Membership.Role.FRONT_DESK
    assert _groups(user) == {roles.FRONT_DESK}


def test_losing_every_membership_removes_the_staff_groups():
    user = UserFactory()
    membership = business_services.add_member(
        BusinessFactory(), user=user, role=Membership.Role.MANAGER
    )
    membership.delete()
    business_services.sync_staff_access(user)
    assert _groups(user) == set()
