import io

import pytest

from apps.leads import imports
from apps.leads.csv_format import CsvRow, LeadCsvError
from apps.leads.models import Lead
from tests.appointments.factories import AppointmentFactory
from tests.businesses.factories import BusinessFactory
from tests.calls.factories import CallFactory
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db

HEADER = "name,phone,email,status,score,interest,notes,has_sms_consent\n"


@pytest.fixture
def business():
    return BusinessFactory(slug="maison-belle")


def _import(business, text, **options):
    return imports.import_leads(business, io.StringIO(text), **options)


def _leads(business):
    return Lead.objects.for_business(business).order_by("pk")


@pytest.mark.parametrize(
    "written",
    [
        "(512) 555-0187",
        "512.555.0187",
        "512-555-0187",
        "5125550187",
        "+1 512 555 0187",
        "1 (512) 555-0187",
        "+15125550187",
    ],
)
def test_phones_in_any_format_are_stored_as_e164(business, written):
    report = _import(business, f'{HEADER}Dana Whitfield,"{written}",,,,,,\n')
    assert report.created == 1
    assert _leads(business).get().phone == "+15125550187"


def test_a_foreign_number_keeps_its_country(business):
    _import(business, f"{HEADER}Nigel Hart,+44 20 7946 0958,,,,,,\n")
    assert _leads(business).get().phone == "+442079460958"


def test_new_leads_take_the_file_values_and_come_from_import(business):
    report = _import(
        business,
        HEADER + "Dana Whitfield,512-555-0187,dana@example.com,Qualified,82,"
        "bridal party,Prefers Saturdays,no\n",
    )
    lead = _leads(business).get()
    assert report.committed and report.created == 1
    assert (lead.name, lead.email, lead.status, lead.score) == (
        "Dana Whitfield",
        "dana@example.com",
        Lead.Status.QUALIFIED,
        82,
    )
    assert (lead.interest, lead.notes) == ("bridal party", "Prefers Saturdays")
    assert lead.source == Lead.Source.IMPORT
    assert lead.has_sms_consent is False
    assert lead.has_email_consent is True  # not in the file: the model's default


def test_a_row_for_an_existing_lead_fills_blanks_and_keeps_staff_values(business):
    staff = LeadFactory(
        business=business,
        name="Dana W.",
        phone="+15125550187",
        email="",
        interest="",
        status=Lead.Status.BOOKED,
        score=None,
        notes="VIP, always Maria.",
    )
    report = _import(
        business,
        HEADER + "Dana Whitfield,(512) 555-0187,dana@example.com,new,82,"
        "bridal party,Asked about trials,\n",
    )
    staff.refresh_from_db()
    assert (report.created, report.updated) == (0, 1)
    assert staff.name == "Dana W."  # staff's value stays
    assert staff.email == "dana@example.com"  # blanks are filled
    assert staff.interest == "bridal party"
    assert staff.score == 82
    assert staff.status == Lead.Status.BOOKED  # never moves backwards
    assert staff.source == Lead.Source.INBOUND_CALL
    assert staff.notes.startswith("VIP, always Maria.\nAsked about trials\n[")
    assert staff.notes.endswith("imported with a different name Dana Whitfield")


def test_a_later_status_moves_an_existing_lead_on(business):
    lead = LeadFactory(business=business, phone="+15125550187", status="contacted")
    _import(business, f"{HEADER}Dana,5125550187,,won,,,,\n")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.WON


def test_an_opt_out_in_the_file_wins_but_an_opt_in_does_not(business):
    opted_out = LeadFactory(
        business=business, phone="+15125550187", has_sms_consent=False
    )
    opted_in = LeadFactory(business=business, phone="+15125550133")
    _import(business, f"{HEADER}Dana,5125550187,,,,,,yes\nMarcus,5125550133,,,,,,no\n")
    opted_out.refresh_from_db()
    opted_in.refresh_from_db()
    assert opted_out.has_sms_consent is False
    assert opted_in.has_sms_consent is False


def test_a_phoneless_row_matches_an_existing_lead_by_email(business):
    lead = LeadFactory(business=business, email="Dana@Example.com", interest="")
    report = _import(business, f"{HEADER}Dana,,dana@example.com,,,bridal,,\n")
    lead.refresh_from_db()
    assert report.updated == 1 and report.created == 0
    assert lead.interest == "bridal"


def test_an_email_match_with_another_phone_is_another_person(business):
    LeadFactory(business=business, phone="+15125550133", email="family@example.com")
    report = _import(business, f"{HEADER}Dana,5125550187,family@example.com,,,,,\n")
    assert report.created == 1
    assert _leads(business).count() == 2


def test_a_row_linking_a_phone_lead_and_an_email_lead_merges_them(business):
    by_phone = LeadFactory(business=business, phone="+15125550187", email="")
    by_email = LeadFactory(
        business=business, phone="", email="dana@example.com", notes="From the web"
    )
    call = CallFactory(business=business, lead=by_email)
    appointment = AppointmentFactory(business=business, lead=by_email)
    report = _import(business, f"{HEADER}Dana,5125550187,dana@example.com,,,,,\n")
    assert (report.leads_merged, report.updated) == (1, 1)
    assert "1 pair(s) of leads merged into one" in report.summary()
    survivor = _leads(business).get()
    assert survivor.pk == by_phone.pk
    assert survivor.email == "dana@example.com"
    assert "From the web" in survivor.notes
    call.refresh_from_db()
    appointment.refresh_from_db()
    assert call.lead_id == appointment.lead_id == by_phone.pk


def test_duplicates_within_the_file_become_one_lead(business):
    report = _import(
        business,
        HEADER
        + "Dana Whitfield,512-555-0187,,,,,first note,\n"
        + "Marcus Lee,512-555-0133,,,,,,\n"
        + ",(512) 555 0187,dana@example.com,booked,,,second note,\n"
        + "Priya,,priya@example.com,,,,,\n"
        + "Priya Raman,,PRIYA@example.com,,,balayage,,\n",
    )
    assert (report.rows, report.created, report.duplicates) == (5, 3, 2)
    dana = _leads(business).get(phone="+15125550187")
    assert dana.email == "dana@example.com"
    assert dana.status == Lead.Status.BOOKED
    assert dana.notes == "first note\nsecond note"
    priya = _leads(business).get(email__iexact="priya@example.com")
    assert priya.interest == "balayage"


def test_a_row_for_a_lead_already_updated_by_the_file_counts_as_a_duplicate(business):
    LeadFactory(business=business, phone="+15125550187")
    report = _import(
        business, f"{HEADER}Dana,5125550187,,,,,,\nDana,512 555 0187,,,,,,\n"
    )
    assert (report.updated, report.duplicates, report.created) == (1, 1, 0)


def test_importing_the_same_file_twice_changes_nothing_more(business):
    text = HEADER + "Dana,5125550187,dana@example.com,qualified,70,bridal,Likes tea,\n"
    _import(business, text)
    before = list(_leads(business).values())
    report = _import(business, text)
    assert (report.created, report.updated) == (0, 1)
    after = list(_leads(business).values())
    for row in before + after:
        row.pop("updated_at")
    assert after == before


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ("Dana,555,,,,,,", "bad phone '555'"),
        ("Dana,not a number,,,,,,", "bad phone 'not a number'"),
        ("Dana,,dana@,,,,,", "bad email 'dana@'"),
        ("Dana,,,hot,,,,", "unknown status 'hot': use one of new, contacted"),
        (",,dana@example.com,,,,,", "missing name and phone"),
        ("Dana,,,,120,,,", "bad score '120'"),
        ("Dana,,,,high,,,", "bad score 'high'"),
        ("Dana,,,,,,,maybe", "bad has_sms_consent 'maybe': use yes or no"),
        (f"{'D' * 121},,,,,,,", "name is longer than 120 characters"),
        (f"Dana,,{'a' * 250}@example.com,,,,,", "email is longer than 254 characters"),
    ],
)
def test_each_rejection_is_reported_with_its_line_and_reason(business, cells, reason):
    report = _import(business, f"{HEADER}Marcus,5125550133,,,,,,\n{cells}\n")
    [rejected] = report.rejected
    assert rejected.line == 3
    assert reason in rejected.reason
    assert str(rejected).startswith("line 3: ")


def test_every_problem_of_a_row_is_reported(business):
    report = _import(business, f"{HEADER},555,dana@,hot,,,,\n")
    [rejected] = report.rejected
    assert "bad phone" in rejected.reason
    assert "bad email" in rejected.reason
    assert "unknown status" in rejected.reason


def test_one_bad_row_imports_nothing(business):
    existing = LeadFactory(business=business, phone="+15125550187", email="")
    report = _import(
        business,
        f"{HEADER}Dana,5125550187,dana@example.com,,,,,\nMarcus,555,,,,,,\n"
        "Priya,5125550164,,,,,,\n",
    )
    assert not report.committed
    assert len(report.rejected) == 1
    assert _leads(business).count() == 1
    existing.refresh_from_db()
    assert existing.email == ""
    assert "Imported nothing into maison-belle: 1 of 3 row(s) rejected" in (
        report.summary()
    )


def test_partial_imports_the_good_rows(business):
    report = _import(
        business,
        f"{HEADER}Dana,5125550187,,,,,,\nMarcus,555,,,,,,\nPriya,5125550164,,,,,,\n",
        partial=True,
    )
    assert report.committed
    assert report.created == 2
    assert [r.line for r in report.rejected] == [3]
    assert sorted(_leads(business).values_list("name", flat=True)) == ["Dana", "Priya"]


def test_a_dry_run_reports_but_writes_nothing(business):
    lead = LeadFactory(business=business, phone="+15125550187", email="")
    report = _import(
        business,
        f"{HEADER}Dana,5125550187,dana@example.com,,,,,\nPriya,5125550164,,,,,,\n",
        dry_run=True,
    )
    assert (report.created, report.updated, report.committed) == (1, 1, False)
    assert report.summary().startswith("Would import 2 of 2 row(s) into maison-belle")
    assert _leads(business).count() == 1
    lead.refresh_from_db()
    assert lead.email == ""


def test_leads_of_other_businesses_are_never_matched(business):
    other = LeadFactory(phone="+15125550187", name="Someone else")
    report = _import(business, f"{HEADER}Dana,5125550187,,,,,,\n")
    assert report.created == 1
    other.refresh_from_db()
    assert other.name == "Someone else"


def test_rows_can_be_given_without_a_file(business):
    rows = [CsvRow(line=7, values={"name": "Dana", "phone": "512-555-0187"})]
    report = imports.import_leads(business, rows)
    assert report.created == 1
    assert _leads(business).get().phone == "+15125550187"


def test_progress_is_reported_in_steps_and_at_the_end(business, monkeypatch):
    monkeypatch.setattr(imports, "_PROGRESS_EVERY", 2)
    calls = []
    text = HEADER + "".join(f"Lead {n},51255501{n:02d},,,,,,\n" for n in range(5))
    imports.import_leads(
        business, io.StringIO(text), progress=lambda d, t: calls.append((d, t))
    )
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_a_file_that_is_not_a_leads_csv_is_refused(business):
    with pytest.raises(LeadCsvError):
        _import(business, "colour,size\nteal,9\n")
