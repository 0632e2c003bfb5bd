import factory

from apps.leads.models import Lead
from tests.businesses.factories import BusinessFactory


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    business = factory.SubFactory(BusinessFactory)
    name = factory.Faker("name")
    phone = factory.Sequence(lambda n: f"+1737555{n % 10000:04d}")
    email = factory.Faker("email")
    source = Lead.Source.INBOUND_CALL
