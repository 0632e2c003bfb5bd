import datetime as dt

import factory
from django.utils import timezone

from apps.calls.models import Call, ToolInvocation, WebhookEvent
from tests.businesses.factories import BusinessFactory


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Call

    business = factory.SubFactory(BusinessFactory)
    vapi_call_id = factory.Faker("uuid4")
    caller_number = "+15125550187"
    status = Call.Status.ENDED
    started_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=5))
    ended_at = factory.LazyAttribute(lambda c: c.started_at + dt.timedelta(seconds=94))
    duration_seconds = 94
    ended_reason = "customer-ended-call"
    transcript = "AI: Thanks for calling, this is Roxy.\nUser: Hi, I'd like a haircut."


class WebhookEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEvent

    type = "status-update"
    dedupe_key = factory.Sequence(lambda n: f"event-{n}")
    payload = factory.LazyAttribute(lambda e: {"message": {"type": e.type}})


class ToolInvocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ToolInvocation

    tool_call_id = factory.Sequence(lambda n: f"call_tool_{n}")
    call = factory.SubFactory(CallFactory)
    business = factory.SelfAttribute("call.business")
    name = "check_availability"
    arguments = factory.LazyFunction(dict)
    result = "Saturday at 1 PM is open."
    duration_ms = 12
