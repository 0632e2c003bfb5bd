import pytest
from django.urls import reverse

from apps.businesses.models import Membership
from apps.notifications.models import Notification
from tests.businesses.factories import MembershipFactory
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_changelist_and_change_form_render(admin_client):
    notification = NotificationFactory()

    changelist = admin_client.get(
        reverse("admin:notifications_notification_changelist")
    )
    change = admin_client.get(
        reverse("admin:notifications_notification_change", args=[notification.pk])
    )

    assert changelist.status_code == 200
    assert change.status_code == 200


def test_resend_action_queues_failed_notifications(
    admin_client, deliveries, django_capture_on_commit_callbacks
):
    failed = NotificationFactory(status=Notification.Status.FAILED, attempts=6)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:notifications_notification_changelist"),
            {"action": "resend_notifications", "_selected_action": [failed.pk]},
            follow=True,
        )

    assert "Queued 1 notification(s) again." in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == Notification.Status.QUEUED
    deliveries.assert_called_once_with(failed.pk)


@pytest.fixture
def invite_and_alert():
    member = MembershipFactory(role=Membership.Role.FRONT_DESK)
    invite = NotificationFactory(
        business=member.business, kind="staff_invite", recipient="dana@example.com"
    )
    alert = NotificationFactory(
        business=member.business, recipient="frontdesk@example.com"
    )
    return member.user, invite, alert


def test_staff_do_not_see_invites_which_hold_a_set_password_link(
    client, invite_and_alert
):
    user, invite, _alert = invite_and_alert
    client.force_login(user)

    changelist = client.get(reverse("admin:notifications_notification_changelist"))
    change = client.get(
        reverse("admin:notifications_notification_change", args=[invite.pk])
    )

    assert changelist.status_code == 200
    page = changelist.content.decode()
    assert "frontdesk@example.com" in page
    assert "dana@example.com" not in page
    assert change.status_code == 404


def test_superusers_see_invites(admin_client, invite_and_alert):
    _user, invite, _alert = invite_and_alert

    page = admin_client.get(
        reverse("admin:notifications_notification_changelist")
    ).content.decode()

    assert "dana@example.com" in page
