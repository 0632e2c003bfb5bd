import pytest

from apps.businesses import services as business_services
from apps.businesses.models import Membership
from tests.businesses.factories import BusinessFactory
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_add_member_makes_the_user_staff_without_global_permissions():
    user = UserFactory(is_staff=False)
    business_services.add_member(
        BusinessFactory(), user=user, role=Membership.Role.FRONT_DESK
    )
    user.refresh_from_db()
    assert user.is_staff
    assert not user.groups.exists()
    assert not user.user_permissions.exists()


def test_changing_a_role_updates_the_membership():
    user = UserFactory()
    business = BusinessFactory()
    business_services.add_member(business, user=user, role=Membership.Role.MANAGER)
    business_services.add_member(business, user=user, role=Membership.Role.FRONT_DESK)
    assert Membership.objects.get(user=user).role == Membership.Role.FRONT_DESK


def test_losing_every_membership_ends_back_office_access():
    user = UserFactory()
    membership = business_services.add_member(
        BusinessFactory(), user=user, role=Membership.Role.MANAGER
    )
    membership.delete()
    business_services.sync_staff_access(user)
    user.refresh_from_db()
    assert not user.is_staff


def test_operators_keep_their_access_without_memberships():
    boss = UserFactory(is_superuser=True, is_staff=True)
    business_services.sync_staff_access(boss)
    boss.refresh_from_db()
    assert boss.is_staff
