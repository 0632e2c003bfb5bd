import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.urls import reverse
from django.utils.http import urlsafe_base64_decode

from apps.businesses.models import Membership
from apps.notifications import delivery as notification_delivery
from apps.notifications.models import Notification
from apps.staff import services
from apps.staff.services import StaffInviteError
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.core.factories import UserFactory
from tests.staff.conftest import SITE_URL

pytestmark = pytest.mark.django_db

User = get_user_model()
SET_PASSWORD_LINK = SITE_URL + "/staff/set-password/"
LOGIN_LINK = SITE_URL + "/admin/login/"


@pytest.fixture
def business():
    return BusinessFactory(name="Maison Belle")


@pytest.fixture
def manager(business):
    user = UserFactory(username="maria", first_name="Maria", last_name="Lopez")
    MembershipFactory(user=user, business=business, role=Membership.Role.MANAGER)
    return user


def invite(business, manager, email="dana@example.com", role="front_desk"):
    return services.invite_staff_member(
        business, email=email, role=role, invited_by=manager
    )


def set_password_link(body: str) -> str:
    (link,) = [word for word in body.split() if word.startswith(SET_PASSWORD_LINK)]
    return link


def test_invite_creates_the_user_the_membership_and_queues_the_email(business, manager):
    membership = invite(business, manager, role=Membership.Role.MANAGER)

    user = membership.user
    assert (user.username, user.email) == ("dana@example.com", "dana@example.com")
    assert not user.has_usable_password()
    assert user.is_staff
    assert (membership.business, membership.role) == (business, "manager")
    (notification,) = Notification.objects.all()
    assert notification.kind == "staff_invite"
    assert notification.channel == Notification.Channel.EMAIL
    assert notification.recipient == "dana@example.com"
    assert notification.status == Notification.Status.QUEUED
    assert notification.business == business
    assert "Maison Belle" in notification.subject
    assert "Maria Lopez added you to Maison Belle" in notification.body
    assert "as Manager." in notification.body
    assert "sign in as dana@example.com" in notification.body
    link = set_password_link(notification.body)
    assert f'href="{link}"' in notification.html_body


def test_the_link_holds_a_valid_token_for_the_new_user(business, manager):
    membership = invite(business, manager)

    link = set_password_link(Notification.objects.get().body)
    uidb64, token = link.removeprefix(SET_PASSWORD_LINK).strip("/").split("/")
    assert urlsafe_base64_decode(uidb64).decode() == str(membership.user.pk)
    assert default_token_generator.check_token(membership.user, token)
    assert link == SITE_URL + reverse(
        "staff:set-password", kwargs={"uidb64": uidb64, "token": token}
    )


def test_the_email_address_is_trimmed_and_lowercased(business, manager):
    membership = invite(business, manager, email="  Dana@Example.COM ")

    assert membership.user.username == "dana@example.com"
    assert Notification.objects.get().recipient == "dana@example.com"


def test_an_existing_user_with_a_password_gets_a_sign_in_link_not_a_reset(
    business, manager
):
    existing = UserFactory(username="dana", email="Dana@example.com", is_staff=False)

    membership = invite(business, manager, email="dana@EXAMPLE.com")

    assert membership.user == existing
    assert User.objects.filter(email__iexact="dana@example.com").count() == 1
    existing.refresh_from_db()
    assert existing.is_staff
    assert existing.check_password("correct-horse-battery")
    body = Notification.objects.get().body
    assert LOGIN_LINK in body
    assert "(dana)" in body
    assert SET_PASSWORD_LINK not in body


def test_an_existing_user_who_never_set_a_password_gets_a_set_password_link(
    business, manager
):
    invite(business, manager, email="dana@example.com")

    invite(BusinessFactory(), manager, email="dana@example.com")

    second = Notification.objects.order_by("created_at", "id").last()
    assert set_password_link(second.body)
    assert User.objects.filter(email="dana@example.com").count() == 1


def test_a_member_of_the_business_is_refused(business, manager):
    invite(business, manager)

    with pytest.raises(StaffInviteError, match="already on Maison Belle's staff"):
        invite(business, manager, email="DANA@example.com")

    assert Membership.objects.filter(user__email="dana@example.com").count() == 1
    assert Notification.objects.count() == 1


@pytest.mark.parametrize("email", ["", "   ", "dana", "dana@", "dana@@example.com"])
def test_a_bad_email_address_is_refused(business, manager, email):
    with pytest.raises(StaffInviteError, match="email address"):
        invite(business, manager, email=email)

    assert not Notification.objects.exists()
    assert User.objects.count() == 1  # only the manager


def test_an_unknown_role_is_refused(business, manager):
    with pytest.raises(StaffInviteError, match="not a staff role"):
        invite(business, manager, role="owner")

    assert not User.objects.filter(email="dana@example.com").exists()


def test_a_deactivated_account_is_refused(business, manager):
    UserFactory(username="dana", email="dana@example.com", is_active=False)

    with pytest.raises(StaffInviteError, match="deactivated"):
        invite(business, manager)

    assert not Membership.objects.filter(user__username="dana").exists()


def test_an_address_shared_by_two_accounts_is_refused(business, manager):
    UserFactory(username="dana", email="dana@example.com")
    UserFactory(username="dana2", email="DANA@example.com")

    with pytest.raises(StaffInviteError, match="More than one account"):
        invite(business, manager)


def test_a_username_taken_by_another_address_is_refused(business, manager):
    UserFactory(username="dana@example.com", email="dana@old.example")

    with pytest.raises(StaffInviteError, match="another email address"):
        invite(business, manager)


def test_without_a_site_url_the_email_has_no_link(business, manager, settings):
    settings.SITE_URL = ""

    invite(business, manager)

    notification = Notification.objects.get()
    assert "http" not in notification.body
    assert "Ask Maria Lopez for your sign-in link." in notification.body


def test_the_invite_is_delivered_like_any_email(business, manager):
    invite(business, manager)

    sent = notification_delivery.deliver_notification(Notification.objects.get().pk)

    assert sent.status == Notification.Status.SENT
    (message,) = mail.outbox
    assert message.to == ["dana@example.com"]
    assert SET_PASSWORD_LINK in message.body


def test_resend_queues_a_new_email_with_its_own_link(business, manager):
    membership = invite(business, manager)

    resent = services.resend_staff_invite(membership, invited_by=manager)

    first, second = Notification.objects.order_by("created_at", "id")
    assert second == resent
    assert resent.dedupe_key != first.dedupe_key
    assert resent.status == Notification.Status.QUEUED
    assert set_password_link(resent.body)


def test_resend_to_someone_with_a_password_sends_a_sign_in_link(business, manager):
    membership = MembershipFactory(business=business, user__username="dana")

    notification = services.resend_staff_invite(membership, invited_by=manager)

    assert notification.recipient == "dana@example.com"
    assert LOGIN_LINK in notification.body


def test_resend_to_a_deactivated_account_is_refused(business, manager):
    membership = MembershipFactory(business=business, user__is_active=False)

    with pytest.raises(StaffInviteError, match="deactivated"):
        services.resend_staff_invite(membership, invited_by=manager)

    assert not Notification.objects.exists()


def test_check_staff_invite_normalises_without_side_effects(business):
    assert (
        services.check_staff_invite(business, email=" Dana@Example.com", role="manager")
        == "dana@example.com"
    )
    assert not User.objects.filter(email="dana@example.com").exists()
    assert not Notification.objects.exists()


def test_check_staff_invite_gives_the_reason_a_member_is_refused(business, manager):
    with pytest.raises(StaffInviteError, match="already on Maison Belle's staff"):
        services.check_staff_invite(business, email=manager.email, role="front_desk")
