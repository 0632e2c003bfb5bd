import csv
import io

import pytest

from apps.leads import csv_format
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_write_leads_writes_a_header_and_one_row_per_lead():
    leads = [LeadFactory(name="Dana", phone="+15125550187", score=None), LeadFactory()]
    out = io.StringIO()
    assert csv_format.write_leads(leads, out) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == list(csv_format.COLUMNS)
    assert rows[0]["phone"] == "+15125550187"  # a phone number is not a formula
    assert rows[0]["score"] == ""
    assert rows[0]["has_sms_consent"] == "yes"


@pytest.mark.parametrize(
    "dangerous",
    ["=HYPERLINK(1)", "+cmd", "-2+3", "@SUM(A1)", "\t=1+2", "\r=1+2"],
)
def test_cells_that_spreadsheets_would_run_are_defused(dangerous):
    out = io.StringIO()
    csv_format.write_leads([LeadFactory(name=dangerous)], out)
    [row] = list(csv.reader(io.StringIO(out.getvalue())))[1:]
    assert row[0] == f"'{dangerous}"


@pytest.mark.parametrize("dangerous", ["\t=cmd|' /C calc'!A0", "\r@SUM(A1)"])
def test_a_cell_defused_for_its_leading_tab_or_cr_reads_back_stripped(dangerous):
    out = io.StringIO()
    csv_format.write_leads([LeadFactory(notes=dangerous)], out)
    [row] = _read(out.getvalue())
    assert row.values["notes"] == dangerous.strip()


def _read(text: str) -> list[csv_format.CsvRow]:
    return list(csv_format.read_leads(io.StringIO(text)))


def test_what_write_leads_writes_reads_back_cell_for_cell():
    lead = LeadFactory(
        name="=cmd|' /C calc'!A0",
        phone="+15125550187",
        notes='Prefers Saturdays.\nAsked about, "bridal" trials.',
        score=82,
        has_marketing_consent=True,
    )
    out = io.StringIO()
    csv_format.write_leads([lead], out)
    [row] = _read(out.getvalue())
    assert row.line == 2
    assert row.values["name"] == lead.name  # the defusing quote is taken off again
    assert row.values["phone"] == "+15125550187"
    assert row.values["notes"] == lead.notes
    assert row.values["score"] == "82"
    assert row.values["has_marketing_consent"] == "yes"


def test_line_numbers_count_multi_line_cells_and_skip_blank_lines():
    rows = _read('name,notes\nDana,"two\nlines"\n\nMarcus,one line\n')
    assert [(r.line, r.values["name"]) for r in rows] == [(2, "Dana"), (5, "Marcus")]


def test_headers_are_matched_loosely_and_unknown_columns_ignored():
    [row] = _read(
        "\ufeffName , Phone,SMS consent,Favourite colour\nDana,512-555-0187,no,teal\n"
    )
    assert row.values["name"] == "Dana"
    assert row.values["phone"] == "512-555-0187"
    assert row.values["has_sms_consent"] == "no"
    assert row.values["email"] == ""
    assert "favourite_colour" not in row.values


@pytest.mark.parametrize("text", ["", "\n\n", "colour,size\nteal,9\n"])
def test_a_file_without_a_usable_header_is_refused(text):
    with pytest.raises(csv_format.LeadCsvError):
        _read(text)


@pytest.mark.parametrize(
    ("text", "flag"),
    [("yes", True), ("No", False), ("TRUE", True), ("0", False), (" ", None)],
)
def test_flags_read_back_as_written(text, flag):
    assert csv_format.parse_flag(text) is flag


def test_a_flag_that_is_neither_yes_nor_no_is_an_error():
    with pytest.raises(ValueError, match="not yes or no"):
        csv_format.parse_flag("maybe")
