"""Only a manager manages a business's staff, never above their own role, never their own."""

import pytest
from django.urls import reverse

from apps.businesses.models import Membership
from apps.notifications.models import Notification
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role
ADD = reverse("admin:businesses_membership_add")


def _change(membership):
    return reverse("admin:businesses_membership_change", args=[membership.pk])


def _login(client, **roles_at):
    user = UserFactory()
    for business, role in roles_at.values():
        MembershipFactory(user=user, business=business, role=role)
    client.force_login(user)
    return user


def test_a_manager_invites_staff_by_email_without_a_superuser(client):
    salon = BusinessFactory()
    _login(client, salon=(salon, Role.MANAGER))
    response = client.post(
        ADD,
        {
            "email": "New.Hire@Example.com",
            "business": salon.pk,
            "role": Role.FRONT_DESK,
        },
    )
    assert response.status_code == 302
    membership = Membership.objects.get(
        business=salon, user__email="new.hire@example.com"
    )
    assert membership.role == Role.FRONT_DESK
    assert membership.user.is_staff and not membership.user.is_superuser
    invite = Notification.objects.get(recipient="new.hire@example.com")
    assert "/staff/set-password/" in invite.body


def test_an_invite_the_service_would_refuse_is_refused_beside_the_email(client):
    salon = BusinessFactory()
    _login(client, salon=(salon, Role.MANAGER))
    UserFactory(username="gone", email="gone@example.com", is_active=False)
    response = client.post(
        ADD,
        {"email": "gone@example.com", "business": salon.pk, "role": Role.FRONT_DESK},
    )
    assert response.status_code == 200
    assert (
        "The account for gone@example.com is deactivated." in response.content.decode()
    )
    assert not Membership.objects.filter(user__username="gone").exists()


def test_a_manager_cannot_add_anyone_to_another_business(client):
    mine, theirs = BusinessFactory(), BusinessFactory()
    _login(client, mine=(mine, Role.MANAGER))
    response = client.post(
        ADD, {"email": "x@example.com", "business": theirs.pk, "role": Role.MANAGER}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Membership.objects.filter(business=theirs).exists()


def test_a_manager_cannot_promote_a_member_of_another_business(client):
    mine, theirs = BusinessFactory(), BusinessFactory()
    _login(client, mine=(mine, Role.MANAGER))
    desk = MembershipFactory(business=theirs, role=Role.FRONT_DESK)
    response = client.post(_change(desk), {"role": Role.MANAGER})
    assert response.status_code == 404
    desk.refresh_from_db()
    assert desk.role == Role.FRONT_DESK


def test_front_desk_here_and_manager_there_cannot_promote_themselves_here(client):
    here, there = BusinessFactory(), BusinessFactory()
    user = _login(client, here=(here, Role.FRONT_DESK), there=(there, Role.MANAGER))
    own_here = Membership.objects.get(user=user, business=here)
    own_there = Membership.objects.get(user=user, business=there)
    assert client.post(_change(own_here), {"role": Role.MANAGER}).status_code == 404
    assert client.post(_change(own_there), {"role": Role.FRONT_DESK}).status_code == 403
    # Nor by inviting their own address to the business they front the desk of.
    client.post(ADD, {"email": user.email, "business": here.pk, "role": Role.MANAGER})
    own_here.refresh_from_db()
    assert own_here.role == Role.FRONT_DESK


def test_front_desk_cannot_see_or_manage_staff(client):
    salon = BusinessFactory()
    _login(client, salon=(salon, Role.FRONT_DESK))
    assert (
        client.get(reverse("admin:businesses_membership_changelist")).status_code == 403
    )
    response = client.post(
        ADD, {"email": "x@example.com", "business": salon.pk, "role": Role.FRONT_DESK}
    )
    assert response.status_code == 403


def test_a_manager_changes_a_colleagues_role_and_removes_them(client):
    salon = BusinessFactory()
    _login(client, salon=(salon, Role.MANAGER))
    desk = MembershipFactory(business=salon, role=Role.FRONT_DESK)
    assert client.post(_change(desk), {"role": Role.MANAGER}).status_code == 302
    desk.refresh_from_db()
    assert desk.role == Role.MANAGER
    delete = reverse("admin:businesses_membership_delete", args=[desk.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    desk.user.refresh_from_db()
    assert not desk.user.is_staff  # no business left: no back office either


def test_the_add_page_names_no_user_outside_the_managers_businesses(client):
    salon = BusinessFactory()
    _login(client, salon=(salon, Role.MANAGER))
    stranger = MembershipFactory(user=UserFactory(username="zyxwv-elsewhere")).user
    boss = UserFactory(username="zyxwv-operator", is_superuser=True)
    for user in (stranger, boss):
        response = client.get(f"{ADD}?user={user.pk}")
        assert "zyxwv" not in response.content.decode()


def test_the_staff_list_shows_only_the_managers_businesses(client):
    mine, theirs = BusinessFactory(), BusinessFactory()
    _login(client, mine=(mine, Role.MANAGER))
    colleague = MembershipFactory(business=mine, user=UserFactory(username="colleague"))
    MembershipFactory(business=theirs, user=UserFactory(username="zyxwv-stranger"))
    response = client.get(reverse("admin:businesses_membership_changelist"))
    shown = {m.pk for m in response.context["cl"].result_list}
    assert colleague.pk in shown
    assert "zyxwv" not in response.content.decode()
