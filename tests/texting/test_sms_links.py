"""Every `sms:` link follows the number's STOP/START (SmsConsent), not only the lead's
own "SMS consent" box, and costs no query per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.businesses.models import Membership
from apps.notifications import consent
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.calls.factories import CallFactory
from tests.leads.factories import CallbackRequestFactory, LeadFactory
from tests.texting.conftest import CUSTOMER

pytestmark = pytest.mark.django_db

SMS_LINK = f'href="sms:{CUSTOMER}"'


@pytest.fixture
def desk(client, salon):
    membership = MembershipFactory(
        business=salon.business, role=Membership.Role.FRONT_DESK, user__is_staff=True
    )
    client.force_login(membership.user)
    return client


def _stop(business, phone=CUSTOMER):
    consent.set_consent(
        business,
        phone,
        status=consent.Status.OPTED_OUT,
        source=consent.Source.KEYWORD,
        reason='Texted "STOP"',
    )


def _html(client, url) -> str:
    page = client.get(url)
    assert page.status_code == 200
    return page.content.decode()


def test_an_opted_out_number_loses_its_sms_link_everywhere(
    desk, salon, customer, appointment
):
    business = salon.business
    call = CallFactory(business=business, lead=customer, caller_number=CUSTOMER)
    callback = CallbackRequestFactory(
        business=business, lead=customer, callback_number=CUSTOMER, call=call
    )
    pages = [
        reverse("admin:leads_lead_changelist"),
        reverse("admin:leads_lead_change", args=[customer.pk]),
        reverse("admin:calls_call_changelist"),
        reverse("admin:appointments_appointment_changelist") + "?when=all",
        reverse("admin:leads_callbackrequest_changelist"),
        reverse("admin:leads_callbackrequest_change", args=[callback.pk]),
    ]
    assert all(SMS_LINK in _html(desk, url) for url in pages)

    _stop(business)

    for url in pages:
        html = _html(desk, url)
        assert f'href="tel:{CUSTOMER}"' in html, url
        assert SMS_LINK not in html, url


def test_start_gives_the_link_back_and_the_lead_s_own_no_still_counts(
    desk, salon, customer
):
    _stop(salon.business)
    consent.set_consent(
        salon.business,
        CUSTOMER,
        status=consent.Status.OPTED_IN,
        source=consent.Source.KEYWORD,
        reason='Texted "START"',
    )
    url = reverse("admin:leads_lead_changelist")
    assert SMS_LINK in _html(desk, url)

    customer.has_sms_consent = False
    customer.save()
    assert SMS_LINK not in _html(desk, url)


def test_an_opt_out_at_another_business_does_not_count_here(desk, salon, customer):
    _stop(BusinessFactory(slug="elsewhere"))

    assert SMS_LINK in _html(desk, reverse("admin:leads_lead_changelist"))


def test_the_lead_list_costs_no_query_per_row_for_consent(
    desk, salon, django_assert_max_num_queries
):
    url = reverse("admin:leads_lead_changelist")

    def add(count, start):
        for n in range(start, start + count):
            phone = f"+1512555{n:04d}"
            LeadFactory(business=salon.business, phone=phone, name=f"Lead {n}")
            if n % 2:
                _stop(salon.business, phone)

    add(2, 1000)
    with CaptureQueriesContext(connection) as few:
        html = _html(desk, url)
    assert html.count('href="sms:') == 1  # one of the two opted out
    add(20, 2000)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = _html(desk, url)
    assert html.count('href="sms:') == 11
