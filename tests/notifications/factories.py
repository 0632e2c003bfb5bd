import factory

from apps.notifications.models import Notification
from tests.businesses.factories import BusinessFactory


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    business = factory.SubFactory(BusinessFactory)
    channel = Notification.Channel.EMAIL
    kind = "new_lead"
    recipient = "frontdesk@example.com"
    subject = "New lead"
    body = "Dana Whitfield called about a bridal party."
    dedupe_key = factory.Sequence(lambda n: f"notification-{n}")


class SmsNotificationFactory(NotificationFactory):
    channel = Notification.Channel.SMS
    recipient = "+15125550187"
    subject = ""
    body = "Maison Belle: you're booked! Reply STOP to opt out."
