"""The conversation page: texts both ways with states, a reply box, consent."""

import pytest
from django.urls import reverse

from apps.businesses.models import Membership
from apps.notifications import consent
from apps.notifications.models import Notification, SmsConsent
from apps.texting.models import Conversation
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.texting.conftest import CUSTOMER
from tests.texting.factories import ConversationFactory

pytestmark = pytest.mark.django_db

# The read-only history inline's empty management form, as the page posts it.
HISTORY_FORMSET = {"changes-TOTAL_FORMS": "0", "changes-INITIAL_FORMS": "0"}


@pytest.fixture
def desk(client, salon):
    membership = MembershipFactory(
        business=salon.business, role=Membership.Role.FRONT_DESK, user__is_staff=True
    )
    client.force_login(membership.user)
    return client


@pytest.fixture
def conversation(text_in, appointment):
    text_in("Is parking free?")
    return Conversation.objects.get()


def test_the_page_shows_texts_both_ways_with_their_states(desk, conversation):
    page = desk.get(
        reverse("admin:texting_conversation_change", args=[conversation.pk])
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert "Is parking free?" in html
    assert "passed your message to the team" in html
    assert "Queued" in html
    assert "Takes texts (never opted out)" in html


def test_the_reply_box_sends_through_the_outbox_and_clears_attention(
    desk, conversation
):
    url = reverse("admin:texting_conversation_change", args=[conversation.pk])

    desk.post(url, {"needs_attention": "on", "reply": "Yes, two free spots out front."})

    reply = Notification.objects.filter(kind="staff_text").get()
    assert reply.recipient == CUSTOMER
    assert reply.status == Notification.Status.QUEUED
    conversation.refresh_from_db()
    assert not conversation.needs_attention


def test_a_reply_to_an_opted_out_number_is_refused_with_the_reason(desk, conversation):
    consent.set_consent(
        conversation.business,
        CUSTOMER,
        status=consent.Status.OPTED_OUT,
        source=consent.Source.KEYWORD,
        reason='Texted "STOP"',
    )
    url = reverse("admin:texting_conversation_change", args=[conversation.pk])

    page = desk.post(url, {"reply": "Hello?"}, follow=True)

    assert "opted out" in page.content.decode()
    assert not Notification.objects.filter(kind="staff_text").exists()


def test_another_business_conversation_is_a_404(desk):
    other = ConversationFactory(business=BusinessFactory(slug="elsewhere"))

    page = desk.get(reverse("admin:texting_conversation_change", args=[other.pk]))

    assert page.status_code == 404


def test_staff_change_consent_with_a_reason_and_it_is_kept_in_history(
    desk, salon, customer
):
    add = reverse("admin:notifications_smsconsent_add")

    page = desk.post(
        add,
        {
            "business": salon.business.pk,
            "phone": "(512) 555-0187",
            "status": "opted_out",
            "reason": "Asked on the phone not to be texted",
            **HISTORY_FORMSET,
        },
    )

    assert page.status_code == 302, page.content.decode()[:2000]
    record = SmsConsent.objects.get()
    assert record.phone == CUSTOMER and record.is_opted_out
    change = record.changes.get()
    assert change.source == "staff"
    assert change.changed_by is not None
    assert change.reason == "Asked on the phone not to be texted"


def test_a_consent_change_without_a_reason_is_refused(desk, salon):
    page = desk.post(
        reverse("admin:notifications_smsconsent_add"),
        {
            "business": salon.business.pk,
            "phone": CUSTOMER,
            "status": "opted_out",
            **HISTORY_FORMSET,
        },
    )

    assert page.status_code == 200
    assert not SmsConsent.objects.exists()


def test_the_lead_page_shows_the_numbers_consent(desk, customer, text_in):
    text_in("STOP")

    page = desk.get(reverse("admin:leads_lead_change", args=[customer.pk]))

    html = page.content.decode()
    assert "Opted out since" in html
    assert "Change, with a reason" in html


def test_the_dashboard_lists_texts_to_answer(desk, conversation):
    page = desk.get(reverse("admin:index"))

    assert "Text to answer" in page.content.decode()
