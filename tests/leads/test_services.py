import datetime as dt
import zoneinfo

import pytest

from apps.core.phones import InvalidPhoneError
from apps.leads import services as lead_services
from apps.leads.models import CallbackRequest, Lead
from apps.notifications.models import Notification
from tests.businesses.factories import BusinessFactory
from tests.calls.factories import CallFactory
from tests.leads.factories import LeadFactory

CALLER = "+15125550187"
# 8 PM on March 14 in Austin, already March 15 in UTC.
EVENING = dt.datetime(2025, 3, 14, 20, tzinfo=zoneinfo.ZoneInfo("America/Chicago"))

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(EVENING, tick=False)]


@pytest.fixture
def business():
    return BusinessFactory(timezone="America/Chicago")


def test_get_or_create_lead_for_caller_normalises_and_reuses(business):
    first = lead_services.get_or_create_lead_for_caller(
        business, phone="(512) 555-0187"
    )
    again = lead_services.get_or_create_lead_for_caller(business, phone=CALLER)

    assert first == again
    assert first.phone == CALLER
    assert lead_services.get_or_create_lead_for_caller(business, phone="n/a") is None


def test_capture_lead_creates_a_new_lead_with_a_local_date_stamp(business):
    lead = lead_services.capture_lead(
        business,
        phone="512-555-0187",
        name="  Dana   Whitfield ",
        email="dana@example.com",
        interest="Bridal party",
        notes="Wedding on June 21.",
    )

    assert (lead.name, lead.phone, lead.email, lead.interest, lead.status) == (
        "Dana Whitfield",
        CALLER,
        "dana@example.com",
        "Bridal party",
        Lead.Status.NEW,
    )
    assert lead.source == Lead.Source.INBOUND_CALL
    assert lead.notes == (
        "[2025-03-14] Roxy: Wedding on June 21.; interest: Bridal party"
    )


def test_capture_lead_fills_blanks_and_notes_differences(business):
    lead = LeadFactory(
        business=business,
        phone=CALLER,
        name="Dana W.",
        email="",
        interest="",
        notes="Prefers mornings.",
    )

    lead_services.capture_lead(
        business,
        phone=CALLER,
        name="Dana Whitfield",
        email="dana@example.com",
        interest="Balayage",
    )

    lead.refresh_from_db()
    assert (lead.name, lead.email, lead.interest) == (
        "Dana W.",
        "dana@example.com",
        "Balayage",
    )
    assert lead.notes == (
        "Prefers mornings.\n"
        "[2025-03-14] Roxy: interest: Balayage; gave the name Dana Whitfield"
    )


def test_capture_lead_never_downgrades_status(business):
    lead = LeadFactory(business=business, phone=CALLER, status=Lead.Status.BOOKED)

    lead_services.capture_lead(business, phone=CALLER, notes="Asked about prices.")

    lead.refresh_from_db()
    assert lead.status == Lead.Status.BOOKED


def test_capture_lead_reopens_a_lost_lead(business):
    lead = LeadFactory(business=business, phone=CALLER, status=Lead.Status.LOST)

    lead_services.capture_lead(business, phone=CALLER, interest="Color")

    lead.refresh_from_db()
    assert lead.status == Lead.Status.NEW


def test_capture_lead_without_a_phone_matches_by_email(business):
    lead = LeadFactory(business=business, email="Dana@Example.com")

    captured = lead_services.capture_lead(
        business, email="dana@example.com", notes="Call after 5."
    )

    assert captured.pk == lead.pk
    assert Lead.objects.count() == 1


def test_capture_lead_keeps_an_invalid_email_out_of_the_email_field(business):
    lead = lead_services.capture_lead(business, phone=CALLER, email="dana at example")

    assert lead.email == ""
    assert "gave the email dana at example (not a valid address)" in lead.notes


def test_capture_lead_notes_urgency_but_not_normal(business):
    urgent = lead_services.capture_lead(business, phone=CALLER, urgency="urgent")
    normal = lead_services.capture_lead(
        business, phone="+15125550100", notes="Hi", urgency="normal"
    )

    assert urgent.notes.endswith("Roxy: urgency: urgent")
    assert normal.notes.endswith("Roxy: Hi")


def test_capture_lead_is_per_business(business):
    other = LeadFactory(phone=CALLER)

    lead = lead_services.capture_lead(business, phone=CALLER, name="Dana")

    assert lead.pk != other.pk
    assert lead.business == business


def test_record_booking_lead_moves_the_lead_to_booked(business):
    lead = LeadFactory(business=business, phone=CALLER, status=Lead.Status.CONTACTED)

    booked = lead_services.record_booking_lead(business, phone=CALLER, name="Dana")

    assert booked.pk == lead.pk
    assert booked.status == Lead.Status.BOOKED


def test_record_booking_lead_keeps_won(business):
    LeadFactory(business=business, phone=CALLER, status=Lead.Status.WON)

    booked = lead_services.record_booking_lead(business, phone=CALLER)

    assert booked.status == Lead.Status.WON


def test_record_booking_lead_needs_a_phone(business):
    assert lead_services.record_booking_lead(business, phone="") is None
    assert not Lead.objects.exists()


def statements_on_leads(queries) -> list[str]:
    return [q["sql"].split()[0] for q in queries if '"leads_lead"' in q["sql"]]


def test_a_new_callers_lead_is_inserted_once_complete(
    business, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6) as captured:
        lead = lead_services.record_booking_lead(
            business, phone="(512) 555-0187", name="Dana", email="dana@example.com"
        )

    assert statements_on_leads(captured.captured_queries) == ["SELECT", "INSERT"]
    lead.refresh_from_db()
    assert (lead.phone, lead.name, lead.email, lead.status) == (
        CALLER,
        "Dana",
        "dana@example.com",
        Lead.Status.BOOKED,
    )


def test_a_known_callers_lead_is_read_locked_once_and_updated(
    business, django_assert_max_num_queries
):
    LeadFactory(business=business, phone=CALLER, name="Dana")

    with django_assert_max_num_queries(4) as captured:
        lead_services.record_booking_lead(business, phone=CALLER, name="Dana")

    assert statements_on_leads(captured.captured_queries) == ["SELECT", "UPDATE"]
    assert Lead.objects.get().status == Lead.Status.BOOKED


def test_a_lead_another_call_inserted_meanwhile_is_merged_into(business, mocker):
    # Another call inserts this number's lead between our read and our insert.
    theirs = LeadFactory(
        business=business, phone=CALLER, name="Dana", email="", status=Lead.Status.NEW
    )
    mocker.patch(
        "apps.leads.services._locked_lead",
        return_value=Lead(business=business, phone=CALLER),
    )

    lead = lead_services.record_booking_lead(
        business, phone=CALLER, name="Dana", email="dana@example.com"
    )

    assert lead.pk == theirs.pk
    assert Lead.objects.count() == 1
    theirs.refresh_from_db()
    assert (theirs.email, theirs.status) == ("dana@example.com", Lead.Status.BOOKED)


def test_record_callback_request_links_the_lead_and_call(business):
    call = CallFactory(business=business)

    callback = lead_services.record_callback_request(
        business,
        callback_number="512 555 0187",
        message="  Call me about a refund. ",
        name="Dana",
        urgency=CallbackRequest.Urgency.URGENT,
        call=call,
    )

    assert callback.callback_number == CALLER
    assert callback.message == "Call me about a refund."
    assert callback.status == CallbackRequest.Status.OPEN
    assert callback.lead.phone == CALLER
    assert callback.lead.name == "Dana"
    assert callback.call == call


def test_record_callback_request_uses_the_known_name(business):
    LeadFactory(business=business, phone=CALLER, name="Dana Whitfield")

    callback = lead_services.record_callback_request(
        business, callback_number=CALLER, message="Hi", urgency="whenever"
    )

    assert callback.name == "Dana Whitfield"
    assert callback.urgency == CallbackRequest.Urgency.NORMAL


def test_record_callback_request_refuses_a_bad_number(business):
    with pytest.raises(InvalidPhoneError):
        lead_services.record_callback_request(
            business, callback_number="12", message="Hi"
        )


def test_record_callback_request_is_due_by_its_urgency(business):
    urgent = lead_services.record_callback_request(
        business, callback_number=CALLER, message="Leak!", urgency="urgent"
    )

    assert urgent.due_at == EVENING + dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (Lead.Status.NEW, Lead.Status.CONTACTED),
        (Lead.Status.LOST, Lead.Status.CONTACTED),
        (Lead.Status.BOOKED, Lead.Status.BOOKED),
    ],
)
def test_mark_lead_contacted_stamps_the_contact_and_never_moves_back(
    business, before, after
):
    lead = LeadFactory(business=business, status=before)

    lead = lead_services.mark_lead_contacted(lead)

    lead.refresh_from_db()
    assert (lead.status, lead.last_contacted_at) == (after, EVENING)


def test_move_leads_changes_only_those_not_already_there_and_stamps_contact():

    waiting = LeadFactory(status=Lead.Status.NEW)
    already = LeadFactory(status=Lead.Status.CONTACTED)
    moved = lead_services.move_leads(
        Lead.objects.filter(pk__in=[waiting.pk, already.pk]),
        status=Lead.Status.CONTACTED,
    )
    assert moved == 1
    waiting.refresh_from_db()
    assert waiting.last_contacted_at is not None


def test_merge_leads_keeps_the_best_of_both_and_moves_everything():

    survivor = LeadFactory(
        name="Dana", email="", phone="", score=40, status=Lead.Status.NEW
    )
    duplicate = LeadFactory(
        business=survivor.business,
        name="Dana Whitfield",
        email="dana@example.com",
        phone="+15125550187",
        score=80,
        status=Lead.Status.BOOKED,
        notes="Wants a June wedding trial",
    )
    call = CallFactory(business=survivor.business, lead=duplicate)
    callback = CallbackRequest.objects.create(
        business=survivor.business, lead=duplicate, message="Call me"
    )
    merged = lead_services.merge_leads(survivor, duplicates=[duplicate])
    assert merged.name == "Dana"  # staff's value stays
    assert (merged.email, merged.phone, merged.score) == (
        "dana@example.com",
        "+15125550187",
        80,
    )
    assert merged.status == Lead.Status.BOOKED
    assert "Wants a June wedding trial" in merged.notes
    call.refresh_from_db()
    callback.refresh_from_db()
    assert call.lead_id == callback.lead_id == merged.pk
    assert not Lead.objects.filter(pk=duplicate.pk).exists()


def test_merge_leads_refuses_leads_of_two_businesses():

    with pytest.raises(ValueError):
        lead_services.merge_leads(LeadFactory(), duplicates=[LeadFactory()])


# --- Staff alerts for callback requests, and what a call's analysis teaches ---


@pytest.mark.parametrize(
    ("urgency", "channels"),
    [("urgent", ["email", "sms"]), ("normal", ["email"]), ("low", ["email"])],
)
def test_a_callback_request_alerts_staff_urgent_ones_by_text_too(
    business, urgency, channels
):
    call = CallFactory(business=business)
    callback = lead_services.record_callback_request(
        business,
        callback_number="(512) 555-0187",
        message="Please call about the bridal package.",
        name="Dana Whitfield",
        urgency=urgency,
        call=call,
    )

    alerts = Notification.objects.filter(kind="callback_request").order_by("channel")
    assert [a.channel for a in alerts] == channels
    email = alerts[0]
    assert email.subject == "Please call back: Dana Whitfield"
    assert "Phone: (512) 555-0187" in email.body
    assert "About: Please call about the bridal package." in email.body
    assert (email.lead, email.call) == (callback.lead, call)
    assert email.dedupe_key.startswith(f"callback_request:{callback.pk}:email:")


def test_record_call_analysis_fills_blanks_and_keeps_staff_values(business, settings):
    settings.LEAD_QUALIFIED_SCORE = 70
    lead = LeadFactory(business=business, name="Dana W.", email="", interest="")

    lead = lead_services.record_call_analysis(
        lead,
        name="Dana Whitfield",
        email="Dana@Example.com",
        interest="bridal",
        score=75,
        score_reason="A wedding party of six.",
    )

    lead.refresh_from_db()
    assert (lead.name, lead.email, lead.interest) == ("Dana W.", "", "bridal")
    assert lead.suggested_email == "dana@example.com"
    assert (lead.score, lead.score_reason) == (75, "A wedding party of six.")
    assert lead.status == Lead.Status.QUALIFIED


def test_an_email_the_analysis_heard_is_never_a_destination(business):
    """The caller's confirmations cannot go to an address nobody confirmed."""
    lead = LeadFactory(business=business, email="", has_email_consent=True)

    lead_services.record_call_analysis(lead, email="dana@exmaple.com")

    lead.refresh_from_db()
    assert lead.email == ""
    assert lead.suggested_email == "dana@exmaple.com"


def test_the_email_already_on_file_is_not_suggested_again(business):
    lead = LeadFactory(business=business, email="dana@example.com")

    lead_services.record_call_analysis(lead, email="DANA@example.com")

    lead.refresh_from_db()
    assert lead.suggested_email == ""


def test_staff_confirm_the_suggested_email(business):
    lead = LeadFactory(
        business=business, email="old@example.com", suggested_email="dana@example.com"
    )
    other = LeadFactory(business=business, email="x@example.com")

    confirmed = lead_services.confirm_suggested_emails(Lead.objects.all())

    assert confirmed == 1
    lead.refresh_from_db(), other.refresh_from_db()
    assert (lead.email, lead.suggested_email) == ("dana@example.com", "")
    assert "email was old@example.com" in lead.notes
    assert other.email == "x@example.com"


def test_the_caller_giving_the_heard_email_confirms_it(business):
    lead = LeadFactory(
        business=business,
        phone="+15125550187",
        email="",
        suggested_email="d@example.com",
    )

    lead_services.capture_lead(business, phone="+15125550187", email="d@example.com")

    lead.refresh_from_db()
    assert (lead.email, lead.suggested_email) == ("d@example.com", "")


def test_record_call_analysis_ignores_a_bad_email_and_a_missing_score(business):
    lead = LeadFactory(business=business, email="")

    lead_services.record_call_analysis(lead, email="dana at example", score=None)

    lead.refresh_from_db()
    assert lead.email == "" and lead.score is None
    assert lead.status == Lead.Status.NEW
