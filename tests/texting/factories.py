import factory
from django.utils import timezone

from apps.notifications.models import SmsConsent
from apps.texting.models import Conversation, InboundText
from tests.businesses.factories import BusinessFactory


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    business = factory.SubFactory(BusinessFactory)
    phone = factory.Sequence(lambda n: f"+1737666{n % 10000:04d}")
    last_inbound_at = factory.LazyFunction(timezone.now)


class InboundTextFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InboundText

    conversation = factory.SubFactory(ConversationFactory)
    business = factory.SelfAttribute("conversation.business")
    message_sid = factory.Sequence(lambda n: f"SM{n:032d}")
    from_number = factory.SelfAttribute("conversation.phone")
    to_number = "+15125550142"
    body = "Can we do Thursday?"
    received_at = factory.LazyFunction(timezone.now)
    intent = InboundText.Intent.OTHER


class SmsConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SmsConsent

    business = factory.SubFactory(BusinessFactory)
    phone = factory.Sequence(lambda n: f"+1737777{n % 10000:04d}")
    status = SmsConsent.Status.OPTED_OUT
    changed_at = factory.LazyFunction(timezone.now)
