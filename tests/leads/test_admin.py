import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.businesses import roles
from apps.leads.models import CallbackRequest, Lead
from tests.appointments.factories import AppointmentFactory
from tests.businesses.factories import MembershipFactory
from tests.calls.factories import CallFactory
from tests.leads.factories import CallbackRequestFactory, LeadFactory
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_callback_request_changelist_and_change_form_render(admin_client):
    callback = CallbackRequestFactory()

    changelist = admin_client.get(reverse("admin:leads_callbackrequest_changelist"))
    change = admin_client.get(
        reverse("admin:leads_callbackrequest_change", args=[callback.pk])
    )

    assert changelist.status_code == 200
    assert b"Dana Whitfield" in changelist.content
    assert change.status_code == 200


def test_mark_as_done_action_resolves_open_requests(admin_client):
    first, second = CallbackRequestFactory.create_batch(2)

    response = admin_client.post(
        reverse("admin:leads_callbackrequest_changelist"),
        {
            "action": "resolve_callback_requests",
            "_selected_action": [first.pk, second.pk],
        },
        follow=True,
    )

    assert response.status_code == 200
    assert b"Marked 2 callback request(s) done." in response.content
    assert not CallbackRequest.objects.open().exists()


def _changelist(admin_client, query=""):
    return admin_client.get(reverse("admin:leads_lead_changelist") + query)


def test_lead_list_shows_formatted_phone_last_call_and_next_appointment(admin_client):

    lead = LeadFactory(name="Dana Whitfield", phone="+15125550187")
    CallFactory(business=lead.business, lead=lead)
    AppointmentFactory(
        business=lead.business,
        lead=lead,
        start_at=timezone.now() + dt.timedelta(days=2),
    )
    page = _changelist(admin_client).content.decode()
    assert "(512) 555-0187" in page
    row = page[page.index("Dana Whitfield") :]
    assert row.count("—") < 2  # both last call and next appointment are filled


@pytest.mark.parametrize("typed", ["(512) 555-0187", "512.555.0187", "+1 512 555 0187"])
def test_search_finds_a_lead_by_phone_typed_in_any_format(admin_client, typed):

    LeadFactory(name="Dana Whitfield", phone="+15125550187")
    LeadFactory(name="Somebody Else", phone="+15125550100")
    response = _changelist(admin_client, f"?q={typed}")
    assert response.context["cl"].result_count == 1
    assert "Dana Whitfield" in response.content.decode()


def test_score_band_filter(admin_client):

    LeadFactory(score=85)
    LeadFactory(score=50)
    LeadFactory(score=None)
    assert _changelist(admin_client, "?score_band=hot").context["cl"].result_count == 1
    assert (
        _changelist(admin_client, "?score_band=unscored").context["cl"].result_count
        == 1
    )


def test_pipeline_actions_and_csv_export(admin_client):

    lead = LeadFactory(name="=cmd()", status=Lead.Status.NEW)
    url = reverse("admin:leads_lead_changelist")
    admin_client.post(url, {"action": "mark_contacted", "_selected_action": [lead.pk]})
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONTACTED
    assert lead.last_contacted_at is not None
    response = admin_client.post(
        url, {"action": "export_csv", "_selected_action": [lead.pk]}
    )
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode()
    assert body.splitlines()[0].startswith("name,phone,email,status")
    assert "'=cmd()" in body  # formulas are defused for spreadsheets


def test_merge_action_moves_calls_and_appointments_to_the_oldest_lead(admin_client):

    oldest = LeadFactory(name="Dana W", email="")
    duplicate = LeadFactory(business=oldest.business, name="", email="dana@example.com")
    call = CallFactory(business=oldest.business, lead=duplicate)
    visit = AppointmentFactory(business=oldest.business, lead=duplicate)
    admin_client.post(
        reverse("admin:leads_lead_changelist"),
        {
            "action": "merge_duplicates",
            "_selected_action": [oldest.pk, duplicate.pk],
            "post": "yes",  # the confirmation page's answer
        },
    )
    assert not Lead.objects.filter(pk=duplicate.pk).exists()
    oldest.refresh_from_db()
    call.refresh_from_db()
    visit.refresh_from_db()
    assert (call.lead_id, visit.lead_id) == (oldest.pk, oldest.pk)
    assert oldest.email == "dana@example.com"


def test_lead_page_shows_its_calls_appointments_and_notifications(admin_client):

    lead = LeadFactory()
    CallFactory(business=lead.business, lead=lead, summary="Asked about balayage")
    AppointmentFactory(business=lead.business, lead=lead)
    NotificationFactory(business=lead.business, lead=lead, kind="booking_confirmation")
    page = admin_client.get(
        reverse("admin:leads_lead_change", args=[lead.pk])
    ).content.decode()
    assert "Asked about balayage" in page
    assert "booking_confirmation" in page
    assert "Stylist" in page  # the appointment's provider


def test_the_lead_list_costs_the_same_queries_at_any_size(
    admin_client, django_assert_max_num_queries
):

    business_lead = LeadFactory()
    with django_assert_max_num_queries(20) as few:
        _changelist(admin_client)
    for lead in LeadFactory.create_batch(30, business=business_lead.business):
        CallFactory(business=lead.business, lead=lead)
    with django_assert_max_num_queries(len(few.captured_queries)):
        _changelist(admin_client)


def test_rerun_action_queues_each_leads_last_call_only(admin_client):
    from apps.calls.models import Call

    lead = LeadFactory()
    older = CallFactory(business=lead.business, lead=lead, analysis_status="completed")
    Call.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - dt.timedelta(days=2)
    )
    latest = CallFactory(business=lead.business, lead=lead, analysis_status="completed")
    response = admin_client.post(
        reverse("admin:leads_lead_changelist"),
        {"action": "rerun_last_call_analysis", "_selected_action": [lead.pk]},
        follow=True,
    )
    assert "Queued 1 call(s) for analysis." in response.content.decode()
    older.refresh_from_db()
    latest.refresh_from_db()
    assert (older.analysis_status, latest.analysis_status) == ("completed", "pending")


@pytest.fixture
def front_desk(client):
    """A front-desk member of a salon, signed in, and the salon."""
    membership = MembershipFactory(user__first_name="Fran", user__last_name="Desk")
    client.force_login(membership.user)
    return client, membership.user, membership.business


def _lead_button(client, lead, button):
    return client.post(reverse(f"admin:leads_lead_{button}", args=[lead.pk]))


def test_a_lead_s_page_has_call_back_and_mark_contacted_buttons(front_desk):
    client, _, salon = front_desk
    lead = LeadFactory(business=salon, phone="+15125550187")

    page = client.get(reverse("admin:leads_lead_change", args=[lead.pk]))

    html = page.content.decode()
    assert reverse("admin:leads_lead_call_back", args=[lead.pk]) in html
    assert reverse("admin:leads_lead_mark_contacted", args=[lead.pk]) in html
    assert 'href="tel:+15125550187">(512) 555-0187</a>' in html


def test_call_back_puts_the_lead_on_the_callback_list_once_with_me_as_owner(
    front_desk,
):
    client, me, salon = front_desk
    lead = LeadFactory(business=salon)

    first = _lead_button(client, lead, "call_back")
    _lead_button(client, lead, "call_back")

    assert first["Location"] == reverse("admin:leads_lead_change", args=[lead.pk])
    callback = CallbackRequest.objects.get()
    assert (callback.lead, callback.assigned_to) == (lead, me)
    assert callback.due_at is not None


def test_mark_contacted_on_the_page_stamps_the_contact(front_desk):
    client, _, salon = front_desk
    lead = LeadFactory(business=salon, status=Lead.Status.NEW)

    _lead_button(client, lead, "mark_contacted")

    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONTACTED
    assert lead.last_contacted_at is not None


@pytest.mark.parametrize("button", ["call_back", "mark_contacted"])
def test_another_business_s_lead_has_no_buttons_to_press(front_desk, button):
    client, _, _ = front_desk
    theirs = LeadFactory(status=Lead.Status.NEW)

    assert _lead_button(client, theirs, button).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.status, theirs.last_contacted_at) == (Lead.Status.NEW, None)
    assert not CallbackRequest.objects.exists()


def test_the_lead_list_dials_and_texts_only_those_who_accept_texts(admin_client):
    LeadFactory(name="Texts OK", phone="+15125550187")
    LeadFactory(name="No texts", phone="+15125550188", has_sms_consent=False)

    page = _changelist(admin_client).content.decode()

    assert 'href="tel:+15125550187"' in page and 'href="sms:+15125550187"' in page
    assert 'href="tel:+15125550188"' in page and "sms:+15125550188" not in page


@pytest.mark.parametrize(
    ("button", "label"),
    [
        ("mark_contacted", "leads.lead"),
        ("call_back", "leads.lead"),
        ("call_back", "leads.callbackrequest"),
    ],
)
def test_the_buttons_need_a_role_that_may_change_what_they_change(
    front_desk, monkeypatch, button, label
):
    client, _, salon = front_desk
    monkeypatch.setitem(roles.FRONT_DESK_GRANTS, label, frozenset({roles.VIEW}))
    lead = LeadFactory(business=salon, status=Lead.Status.NEW)

    assert _lead_button(client, lead, button).status_code == 403
    lead.refresh_from_db()
    assert (lead.status, lead.last_contacted_at) == (Lead.Status.NEW, None)
    assert not CallbackRequest.objects.exists()


def test_staff_see_and_confirm_the_email_heard_in_a_call(admin_client):
    lead = LeadFactory(email="", suggested_email="dana@example.com")
    page = admin_client.get(reverse("admin:leads_lead_change", args=[lead.pk]))
    assert b"Email heard in a call" in page.content
    assert b"dana@example.com" in page.content

    admin_client.post(
        reverse("admin:leads_lead_changelist"),
        {"action": "use_suggested_email", "_selected_action": [lead.pk]},
    )

    lead.refresh_from_db()
    assert (lead.email, lead.suggested_email) == ("dana@example.com", "")
