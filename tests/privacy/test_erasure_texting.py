"""Erasure and retention of a customer's texts (issue #14): the conversation, what
they texted, the times offered and the texts we sent go; the opt-out stays."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.calls.models import PURGED
from apps.notifications import consent
from apps.notifications.models import Notification, SmsConsent, SmsConsentChange
from apps.privacy import erasure, retention
from apps.texting.models import Conversation, InboundText, RescheduleOffer
from tests.appointments.factories import AppointmentFactory
from tests.businesses.factories import BusinessFactory
from tests.leads.factories import LeadFactory
from tests.notifications.factories import NotificationFactory, SmsNotificationFactory
from tests.texting.factories import ConversationFactory, InboundTextFactory

pytestmark = pytest.mark.django_db

DANA = "+15125550187"
MARCUS = "+15125550133"
QUESTION = "Is the parking behind the salon free on Saturdays?"


@pytest.fixture
def salon():
    return BusinessFactory(slug="salon")


def _texted(business, phone, *, lead=None, opt="stop"):
    """A customer who texted a question, was offered times, then STOP (or START)."""
    conversation = ConversationFactory(business=business, phone=phone, lead=lead)
    InboundTextFactory(conversation=conversation, body=QUESTION)
    InboundTextFactory(conversation=conversation, body=opt.upper())
    appointment = AppointmentFactory(business=business, lead=lead)
    RescheduleOffer.objects.create(
        conversation=conversation,
        appointment=appointment,
        slot_ids=["a", "b", "c"],
        expires_at=timezone.now(),
    )
    SmsNotificationFactory(business=business, recipient=phone, kind="text_reply")
    for status in ("opted_out", "opted_in")[: 1 if opt == "stop" else 2]:
        consent.set_consent(
            business,
            phone,
            status=status,
            source=consent.Source.STAFF,
            reason=f"{phone} asked on the phone, says her husband Tom pays",
        )
    return conversation


@pytest.fixture
def dana(salon):
    lead = LeadFactory(business=salon, phone=DANA, name="Dana Whitfield")
    conversation = _texted(salon, DANA, lead=lead)
    # The staff alert quoting her text, sent to the desk's phone (not linked to her).
    NotificationFactory(
        business=salon,
        kind="customer_text",
        channel=Notification.Channel.SMS,
        recipient="+15125550100",
        subject="",
        body=f'Text from (512) 555-0187: "{QUESTION}" (a question)',
    )
    # A text from a number no business owns.
    InboundTextFactory(
        conversation=None, business=None, from_number=DANA, body="wrong number?"
    )
    return conversation


@pytest.fixture
def marcus(salon):
    lead = LeadFactory(business=salon, phone=MARCUS, name="Marcus Lee")
    return _texted(salon, MARCUS, lead=lead, opt="start")


def test_erasure_removes_the_customer_s_texts_and_keeps_the_bare_opt_out(
    salon, dana, marcus
):
    marcus_rows = (
        list(InboundText.objects.filter(from_number=MARCUS).values()),
        list(SmsConsentChange.objects.filter(consent__phone=MARCUS).values()),
    )

    report = erasure.erase_caller(DANA)

    assert not Conversation.objects.filter(phone=DANA).exists()
    assert not InboundText.objects.filter(from_number=DANA).exists()
    assert not RescheduleOffer.objects.filter(conversation__phone=DANA).exists()
    assert not Notification.objects.filter(recipient=DANA).exists()
    alert = Notification.objects.get(kind="customer_text")
    assert alert.body == 'Text from [erased]: "[erased]" (a question)'
    # The opt-out stays, so she is never texted again; what was said about it goes.
    kept = SmsConsent.objects.get(phone=DANA)
    assert kept.is_opted_out
    assert consent.is_opted_out(salon.pk, DANA)
    assert [(c.status, c.source, c.reason) for c in kept.changes.all()] == [
        ("opted_out", "staff", "[erased]")
    ]
    assert report.deleted["conversations"] == 1
    assert report.deleted["inbound texts"] == 3  # two to the salon, one to nobody
    assert report.deleted["text offers"] == 1
    assert report.anonymised["text consents"] == 1
    assert "opt-out is kept" in report.summary()
    # Marcus, at the same salon, is untouched.
    assert Conversation.objects.filter(phone=MARCUS).exists()
    assert marcus_rows == (
        list(InboundText.objects.filter(from_number=MARCUS).values()),
        list(SmsConsentChange.objects.filter(consent__phone=MARCUS).values()),
    )
    assert RescheduleOffer.objects.filter(conversation__phone=MARCUS).count() == 1


def test_an_opt_in_is_deleted_outright(salon, marcus):
    report = erasure.erase_caller(MARCUS)

    assert not SmsConsent.objects.filter(phone=MARCUS).exists()
    assert not SmsConsentChange.objects.exists()
    assert report.deleted["text consents"] == 1
    assert "text consents" not in report.anonymised
    assert not consent.is_opted_out(salon.pk, MARCUS)


def test_erasure_at_one_business_leaves_the_texts_elsewhere(salon, dana):
    elsewhere = BusinessFactory(slug="elsewhere")
    _texted(elsewhere, DANA)

    erasure.erase_caller(DANA, business=salon)

    assert list(Conversation.objects.values_list("business__slug", flat=True)) == [
        "elsewhere"
    ]
    # The text to no business is an operator's, not the salon's.
    assert set(
        InboundText.objects.values_list("business__slug", flat=True).distinct()
    ) == {"elsewhere", None}
    assert (
        SmsConsentChange.objects.filter(business=elsewhere)
        .exclude(reason="[erased]")
        .exists()
    )


def test_a_dry_run_counts_the_texts_and_changes_nothing(salon, dana, marcus):
    before = (InboundText.objects.count(), SmsConsentChange.objects.count())

    dry = erasure.erase_caller(DANA, dry_run=True)

    assert (InboundText.objects.count(), SmsConsentChange.objects.count()) == before
    assert not SmsConsentChange.objects.filter(reason="[erased]").exists()
    real = erasure.erase_caller(DANA)
    assert (dry.deleted, dry.anonymised) == (real.deleted, real.anonymised)


def test_a_number_known_only_by_its_kept_opt_out_is_not_erased_twice(salon, dana):
    erasure.erase_caller(DANA)

    with pytest.raises(erasure.ErasureError, match="Nothing on file"):
        erasure.erase_caller(DANA)


def test_a_number_known_only_by_its_texts_can_be_erased(salon):
    InboundTextFactory(
        conversation=ConversationFactory(business=salon, phone=DANA), body="hi"
    )

    report = erasure.erase_caller(DANA, business=salon)

    assert report.deleted["inbound texts"] == 1
    assert not InboundText.objects.exists()


def test_retention_blanks_old_texts_and_their_raw_requests(salon):
    now = timezone.now()
    old = InboundTextFactory(
        conversation=ConversationFactory(business=salon),
        received_at=now - dt.timedelta(days=400),
        payload={"Body": QUESTION, "From": DANA},
    )
    recent = InboundTextFactory(
        conversation=old.conversation, received_at=now - dt.timedelta(days=3)
    )
    stray = InboundTextFactory(
        conversation=None,
        business=None,
        from_number=MARCUS,
        received_at=now - dt.timedelta(days=400),
    )

    report = retention.purge_call_data(now=now)

    old.refresh_from_db()
    recent.refresh_from_db()
    stray.refresh_from_db()
    assert (old.body, old.payload) == (retention.PURGED_TEXT, PURGED)
    assert (old.from_number, old.intent) == (old.conversation.phone, "other")
    assert recent.body == "Can we do Thursday?"
    assert stray.body == retention.PURGED_TEXT
    assert report.counts["inbound text(s)"] == 2
    again = retention.purge_call_data(now=now)
    assert again.counts["inbound text(s)"] == 0
