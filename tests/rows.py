"""One row of every model staff reach in the admin, for tests that cover them all."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from tests.appointments.factories import (
    AppointmentFactory,
    ProviderFactory,
    ProviderHoursFactory,
    ServiceFactory,
    TimeOffFactory,
)
from tests.businesses.factories import (
    ClosureFactory,
    MembershipFactory,
    OpeningHoursFactory,
    VapiPhoneNumberFactory,
)
from tests.calls.factories import (
    CallFactory,
    ToolInvocationFactory,
    WebhookEventFactory,
)
from tests.core.factories import UserFactory
from tests.leads.factories import CallbackRequestFactory, LeadFactory
from tests.notifications.factories import NotificationFactory

SOON = timezone.now() + dt.timedelta(days=2)  # the appointment list opens on upcoming


def rows_of_every_kind(business, tag: str) -> dict:
    """One row of every model staff reach, for `business`, each named with `tag`."""
    lead = LeadFactory(
        business=business, name=f"{tag} Lead", email=f"{tag}@example.net"
    )
    service = ServiceFactory(business=business, name=f"{tag} Service")
    provider = ProviderFactory(
        business=business, name=f"{tag} Provider", services=[service]
    )
    call = CallFactory(
        business=business, lead=lead, vapi_call_id=f"{tag}-call-{business.pk}"
    )
    appointment = AppointmentFactory(
        business=business, service=service, provider=provider, lead=lead, start_at=SOON
    )
    member = UserFactory(username=f"{tag.lower()}-stylist-{business.pk}", is_staff=True)
    return {
        "businesses.business": business,
        "businesses.vapiphonenumber": VapiPhoneNumberFactory(
            business=business, label=f"{tag} line"
        ),
        "businesses.membership": MembershipFactory(business=business, user=member),
        "businesses.openinghours": OpeningHoursFactory(business=business),
        "businesses.closure": ClosureFactory(
            business=business, reason=f"{tag} holiday"
        ),
        "leads.lead": lead,
        "leads.callbackrequest": CallbackRequestFactory(
            business=business, lead=lead, call=call, name=f"{tag} Caller"
        ),
        "calls.call": call,
        "calls.webhookevent": WebhookEventFactory(
            call=call, vapi_call_id=call.vapi_call_id
        ),
        "calls.toolinvocation": ToolInvocationFactory(
            call=call, tool_call_id=f"{tag}_tool_{business.pk}"
        ),
        "appointments.service": service,
        "appointments.provider": provider,
        "appointments.providerhours": ProviderHoursFactory(provider=provider),
        "appointments.timeoff": TimeOffFactory(provider=provider),
        "appointments.appointment": appointment,
        "notifications.notification": NotificationFactory(
            business=business,
            lead=lead,
            call=call,
            appointment=appointment,
            recipient=f"{tag}@example.com",
            subject=f"{tag} alert",
        ),
        get_user_model()._meta.label_lower: member,
    }
