import datetime as dt

import pytest
from django.db import IntegrityError
from django.utils import timezone

from apps.notifications.models import Notification
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def test_str_names_channel_kind_and_recipient():
    notification = NotificationFactory.build(kind="new_lead")

    assert str(notification) == "Email new_lead to frontdesk@example.com"


def test_dedupe_key_is_unique():
    NotificationFactory(dedupe_key="new_lead:1")

    with pytest.raises(IntegrityError):
        NotificationFactory(dedupe_key="new_lead:1")


def test_due_means_no_send_after_or_one_in_the_past():
    unheld = NotificationFactory(send_after=None)
    ripe = NotificationFactory(send_after=NOW - dt.timedelta(minutes=1))
    NotificationFactory(send_after=NOW + dt.timedelta(minutes=1))

    assert set(Notification.objects.due(NOW)) == {unheld, ripe}


def test_needing_enqueue_skips_recently_rung_and_unqueued_rows():
    never_rung = NotificationFactory(enqueued_at=None)
    long_ago = NotificationFactory(enqueued_at=NOW - dt.timedelta(minutes=10))
    NotificationFactory(enqueued_at=NOW - dt.timedelta(seconds=10))
    NotificationFactory(enqueued_at=None, status=Notification.Status.SENT)

    rows = Notification.objects.needing_enqueue(now=NOW, grace=dt.timedelta(minutes=2))

    assert set(rows) == {never_rung, long_ago}


def test_stale_claims_are_sending_rows_claimed_long_ago():
    stale = NotificationFactory(
        status=Notification.Status.SENDING, claimed_at=NOW - dt.timedelta(hours=1)
    )
    NotificationFactory(status=Notification.Status.SENDING, claimed_at=NOW)
    NotificationFactory(
        status=Notification.Status.SENT, claimed_at=NOW - dt.timedelta(hours=1)
    )

    rows = Notification.objects.stale_claims(
        now=NOW, older_than=dt.timedelta(minutes=3)
    )

    assert list(rows) == [stale]
