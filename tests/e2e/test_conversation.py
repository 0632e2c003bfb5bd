"""A customer's texts in a real Chromium (issue #14): staff read both sides with their
delivery states and answer through the reply box, under the strict policy; another
business's conversation is a 404."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.notifications.models import Notification
from apps.texting.models import Conversation
from tests.businesses.factories import BusinessFactory
from tests.notifications.factories import SmsNotificationFactory
from tests.texting.factories import ConversationFactory, InboundTextFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DANA = "+15125550187"


@pytest.fixture
def conversation(demo, settings) -> Conversation:
    """Dana's texts with the studio: our reminder (delivered), her question, and a
    text the carrier could not deliver, with its reason."""
    settings.SMS_BACKEND = "apps.notifications.channels.LocmemSmsBackend"
    now = timezone.now()
    conversation = ConversationFactory(
        business=demo.business,
        phone=DANA,
        lead=demo.dana,
        needs_attention=True,
        attention_reason="A question for staff",
        last_inbound_at=now - dt.timedelta(minutes=5),
    )
    _sent(
        demo.business,
        "Reminder: your visit is tomorrow at 10:00.",
        now,
        30,
        "delivered",
    )
    InboundTextFactory(
        conversation=conversation,
        body="Is parking free on Saturdays?",
        received_at=now - dt.timedelta(minutes=5),
    )
    _sent(
        demo.business,
        "We passed your message to the team.",
        now,
        4,
        "undelivered",
        last_error="Twilio 30003: Unreachable destination handset",
    )
    return conversation


def _sent(business, body, now, minutes_ago, status, **fields) -> Notification:
    text = SmsNotificationFactory(
        business=business,
        recipient=DANA,
        kind="text_reply",
        body=body,
        status=status,
        **fields,
    )
    Notification.objects.filter(pk=text.pk).update(
        created_at=now - dt.timedelta(minutes=minutes_ago)
    )
    return text


def test_staff_read_the_texts_and_reply_through_the_outbox(
    staff_page, conversation, refused, expect, screenshot
):
    page = staff_page
    url = reverse("admin:texting_conversation_change", args=[conversation.pk])
    response = page.goto(url)
    assert response.status == 200
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy

    rows = page.locator("table.vh-texts tbody tr")
    reminder = rows.filter(has_text="Reminder: your visit is tomorrow")
    question = rows.filter(has_text="Is parking free on Saturdays?")
    lost = rows.filter(has_text="We passed your message to the team.")
    expect(reminder).to_have_class("vh-text-out")
    expect(reminder).to_contain_text("Delivered")
    expect(question).to_have_class("vh-text-in")
    expect(question).to_contain_text("Customer")
    expect(lost).to_contain_text("Undelivered")
    expect(lost).to_contain_text("Unreachable destination handset")
    # Oldest first, both sides in one thread.
    texts = rows.all_inner_texts()
    order = [
        next(i for i, row in enumerate(texts) if needle in row)
        for needle in ("Reminder: your visit", "Is parking free", "We passed")
    ]
    assert order == sorted(order)
    expect(page.get_by_text("Takes texts (never opted out)")).to_be_visible()
    screenshot("conversation")

    page.fill("#id_reply", "Yes, parking out front is free on Saturdays.")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist")).to_contain_text("Reply queued.")

    reply = Notification.objects.get(kind="staff_text")
    assert (reply.recipient, reply.channel) == (DANA, Notification.Channel.SMS)
    assert reply.body == "Yes, parking out front is free on Saturdays."
    conversation.refresh_from_db()
    assert not conversation.needs_attention
    replied = rows.filter(has_text="Yes, parking out front is free")
    expect(replied).to_have_class("vh-text-out")
    expect(replied).to_contain_text("Queued")
    expect(rows.last).to_contain_text("Yes, parking out front is free")
    expect(page.locator("#id_reply")).to_have_value("")
    screenshot("replied")
    assert refused == []


def test_another_business_conversation_is_not_found(staff_page, conversation, refused):
    elsewhere = ConversationFactory(business=BusinessFactory(slug="elsewhere"))

    response = staff_page.goto(
        reverse("admin:texting_conversation_change", args=[elsewhere.pk])
    )

    assert response.status == 404
    assert "Is parking free" not in staff_page.content()
    # The only complaint is the 404 itself: nothing else refused on the way.
    assert [seen for seen in refused if "404" not in seen] == []
    listing = staff_page.goto(reverse("admin:texting_conversation_changelist"))
    assert listing.status == 200
    assert staff_page.locator("#result_list tbody tr").count() == 1
