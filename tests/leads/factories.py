import factory

from apps.leads.models import CallbackRequest, Lead
from tests.businesses.factories import BusinessFactory

NAMES = ["Avery Quinn", "Morgan Ellis", "Riley Navarro", "Casey Holt", "Jamie Okafor"]


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    business = factory.SubFactory(BusinessFactory)
    # Fixed names and emails, not Faker's: with random ones a name could match
    # what a test searches for or says, and such a failure would not repeat.
    name = factory.Iterator(NAMES)
    phone = factory.Sequence(lambda n: f"+1737555{n % 10000:04d}")
    email = factory.Sequence(lambda n: f"lead{n}@example.net")
    source = Lead.Source.INBOUND_CALL


class CallbackRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallbackRequest

    business = factory.SubFactory(BusinessFactory)
    name = "Dana Whitfield"
    callback_number = "+15125550187"
    message = "Please call me about the bridal package."
