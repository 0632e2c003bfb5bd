import datetime as dt

import factory

from apps.businesses.models import (
    Business,
    Closure,
    Membership,
    OpeningHours,
    TransferDestination,
    TransferHours,
    VapiPhoneNumber,
)


class BusinessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Business

    name = factory.Sequence(lambda n: f"Studio {n}")
    slug = factory.Sequence(lambda n: f"studio-{n}")
    timezone = "America/Chicago"
    address = "1200 S Congress Ave, Austin, TX 78704"
    phone = "+15125550142"
    transfer_number = "+15125550100"
    notification_emails = "frontdesk@example.com"
    notification_phones = "+15125550111"


class VapiPhoneNumberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VapiPhoneNumber

    business = factory.SubFactory(BusinessFactory)
    vapi_phone_number_id = factory.Faker("uuid4")
    number = factory.Sequence(lambda n: f"+1512555{n % 10000:04d}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory("tests.core.factories.UserFactory")
    business = factory.SubFactory(BusinessFactory)
    role = Membership.Role.FRONT_DESK


class OpeningHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpeningHours

    business = factory.SubFactory(BusinessFactory)
    weekday = 0
    opens_at = dt.time(9, 0)
    closes_at = dt.time(17, 0)


class ClosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Closure

    business = factory.SubFactory(BusinessFactory)
    starts_on = dt.date(2025, 12, 25)
    ends_on = dt.date(2025, 12, 26)
    reason = "Holidays"


class TransferDestinationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TransferDestination

    business = factory.SubFactory(BusinessFactory)
    name = factory.Sequence(lambda n: f"Desk {n}")
    number = "+15125550100"
    purpose = "anything the caller wants a person for"


class TransferHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TransferHours

    destination = factory.SubFactory(TransferDestinationFactory)
    weekday = 0
    opens_at = dt.time(9, 0)
    closes_at = dt.time(17, 0)
