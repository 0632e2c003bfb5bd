import factory

from apps.leads.models import CallbackRequest, Lead
from tests.businesses.factories import BusinessFactory


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    business = factory.SubFactory(BusinessFactory)
    name = factory.Faker("name")
    phone = factory.Sequence(lambda n: f"+1737555{n % 10000:04d}")
    email = factory.Faker("email")
    source = Lead.Source.INBOUND_CALL


class CallbackRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallbackRequest

    business = factory.SubFactory(BusinessFactory)
    name = "Dana Whitfield"
    callback_number = "+15125550187"
    message = "Please call me about the bridal package."
