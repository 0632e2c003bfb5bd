import pytest
from django.urls import reverse

from apps.notifications.models import Notification
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
    admin_client, mocker, django_capture_on_commit_callbacks
):
    delay = mocker.patch("apps.notifications.tasks.deliver_notification.delay")
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
    delay.assert_called_once_with(failed.pk)
