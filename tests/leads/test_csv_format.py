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


@pytest.mark.parametrize("dangerous", ["=HYPERLINK(1)", "+cmd", "-2+3", "@SUM(A1)"])
def test_cells_that_spreadsheets_would_run_are_defused(dangerous):
    out = io.StringIO()
    csv_format.write_leads([LeadFactory(name=dangerous)], out)
    assert f"'{dangerous}" in out.getvalue()
