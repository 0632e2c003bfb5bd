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
    TransferDestinationFactory,
    TransferHoursFactory,
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
        **_transfer_rows(business, tag),
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
        **_calendar_rows(business, provider, appointment, tag),
        **_texting_rows(business, lead, tag),
    }


def _texting_rows(business, lead, tag: str) -> dict:
    """Issue #14: a customer's conversation, their text, and a number's consent."""
    from apps.notifications import consent
    from tests.texting.factories import ConversationFactory, InboundTextFactory

    conversation = ConversationFactory(business=business, lead=lead)
    record = consent.set_consent(
        business,
        conversation.phone,
        status=consent.Status.OPTED_OUT,
        source=consent.Source.STAFF,
        reason=f"{tag} asked by phone",
    )
    return {
        "texting.conversation": conversation,
        "texting.inboundtext": InboundTextFactory(
            conversation=conversation, body=f"{tag} text"
        ),
        "notifications.smsconsent": record,
    }


def _transfer_rows(business, tag: str) -> dict:
    destination = TransferDestinationFactory(business=business, name=f"{tag} Desk")
    return {
        "businesses.transferdestination": destination,
        "businesses.transferhours": TransferHoursFactory(destination=destination),
    }


def _calendar_rows(business, provider, appointment, tag: str) -> dict:
    from apps.calendars.models import (
        CalendarConnection,
        CalendarWrite,
        ConnectedCalendar,
    )

    connection = CalendarConnection.objects.create(
        business=business,
        provider=provider,
        kind="caldav",
        account=f"{tag.lower()}-calendar@example.net",
        server_url="https://caldav.example.net/",
        status=CalendarConnection.Status.ACTIVE,
    )
    calendar = ConnectedCalendar.objects.create(
        connection=connection,
        remote_id=f"https://caldav.example.net/{tag.lower()}/{business.pk}/",
        name=f"{tag} Calendar",
        blocks_time=True,
        receives_bookings=True,
    )
    write = CalendarWrite.objects.create(
        appointment=appointment,
        calendar=calendar,
        business=business,
        voicehive_ref=f"voicehive-appointment-{appointment.pk}",
    )
    return {
        "calendars.calendarconnection": connection,
        "calendars.calendarwrite": write,
    }
