import io

import pytest
from django.core.management import CommandError, call_command

from apps.demo.services import seed_demo_business
from apps.leads.models import Lead
from tests.businesses.factories import BusinessFactory
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db

HEADER = "name,phone,email,status,notes\n"


@pytest.fixture
def salon():
    return BusinessFactory(slug="south-congress")


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_leads", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _file(tmp_path, text, name="leads.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_round_trip_export_then_import_into_another_business(salon, tmp_path):
    demo = seed_demo_business(password="demo-pass").business
    exported = tmp_path / "demo.csv"
    call_command(
        "export_leads",
        "--business",
        demo.slug,
        "--output",
        str(exported),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    out, _ = _run(str(exported), "--business", "south-congress")
    assert out.strip() == (
        "Imported 4 of 4 row(s) into south-congress: 4 lead(s) created, 0 existing "
        "lead(s) updated, 0 duplicate row(s) merged, 0 row(s) "
        "rejected."
    )
    fields = ("name", "phone", "email", "status", "score", "interest", "notes")
    copied = Lead.objects.for_business(salon).order_by("phone").values_list(*fields)
    original = Lead.objects.for_business(demo).order_by("phone").values_list(*fields)
    assert list(copied) == list(original)
    assert set(Lead.objects.for_business(salon).values_list("source", flat=True)) == {
        Lead.Source.IMPORT
    }
    again, _ = _run(str(exported), "--business", "south-congress")
    assert "0 lead(s) created, 4 existing lead(s) updated" in again
    assert Lead.objects.for_business(salon).count() == 4


def test_rejected_rows_are_listed_and_nothing_is_imported(salon, tmp_path):
    path = _file(
        tmp_path,
        HEADER
        + "Dana Whitfield,(512) 555-0187,dana@example.com,new,\n"
        + "Marcus Lee,555,marcus@,,\n"
        + ",,priya@example.com,hot,\n",
    )
    out = io.StringIO()
    with pytest.raises(
        CommandError, match="2 row\\(s\\) rejected, listed above; nothing"
    ):
        call_command("import_leads", path, "--business", "south-congress", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == (
        "Rejected line 3: bad phone '555': not a possible phone number; "
        "bad email 'marcus@': not an email address"
    )
    assert lines[1].startswith("Rejected line 4: missing name and phone")
    assert "unknown status 'hot'" in lines[1]
    assert lines[2].startswith("Imported nothing into south-congress: 2 of 3 row(s)")
    assert not Lead.objects.for_business(salon).exists()


def test_partial_imports_the_good_rows_and_exits_cleanly(salon, tmp_path):
    path = _file(tmp_path, HEADER + "Dana,512.555.0187,,,\nMarcus,555,,,\n")
    out, _ = _run(path, "--business", "south-congress", "--partial")
    assert "Rejected line 3: bad phone '555'" in out
    assert out.strip().endswith(
        "Imported 1 of 2 row(s) into south-congress: 1 lead(s) created, 0 existing "
        "lead(s) updated, 0 duplicate row(s) merged, 1 row(s) "
        "rejected."
    )
    assert Lead.objects.for_business(salon).get().phone == "+15125550187"


def test_a_dry_run_writes_nothing(salon, tmp_path):
    LeadFactory(business=salon, phone="+15125550187", email="")
    path = _file(
        tmp_path, HEADER + "Dana,5125550187,dana@example.com,,\nMarcus,5125550133,,,\n"
    )
    out, err = _run(path, "--business", "south-congress", "--dry-run")
    assert out.strip() == (
        "Would import 2 of 2 row(s) into south-congress: 1 lead(s) created, 1 existing "
        "lead(s) updated, 0 duplicate row(s) merged, 0 row(s) "
        "rejected (dry run, nothing written)."
    )
    assert "Checked 2/2 row(s)" in err
    assert Lead.objects.for_business(salon).count() == 1
    assert Lead.objects.for_business(salon).get().email == ""


def test_a_dry_run_with_bad_rows_fails_like_the_real_run_would(salon, tmp_path):
    path = _file(tmp_path, HEADER + "Marcus,555,,,\n")
    with pytest.raises(CommandError, match="a real run would import nothing"):
        _run(path, "--business", "south-congress", "--dry-run")


def test_duplicates_in_the_file_and_against_existing_leads(salon, tmp_path):
    LeadFactory(business=salon, name="Dana W.", phone="+15125550187")
    path = _file(
        tmp_path,
        HEADER
        + "Dana Whitfield,+1 512 555 0187,,booked,\n"
        + "Marcus Lee,512-555-0133,,,\n"
        + "Marcus,(512) 555-0133,marcus@example.com,,\n",
    )
    out, _ = _run(path, "--business", "south-congress")
    assert "1 lead(s) created, 1 existing lead(s) updated, 1 duplicate row(s)" in out
    assert Lead.objects.for_business(salon).count() == 2
    marcus = Lead.objects.for_business(salon).get(phone="+15125550133")
    assert (marcus.name, marcus.email) == ("Marcus Lee", "marcus@example.com")


def test_a_spreadsheet_export_with_a_byte_order_mark_reads(salon, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(("\ufeff" + HEADER + "Dana,5125550187,,,\r\n").encode("utf-8"))
    _run(str(path), "--business", "south-congress")
    assert Lead.objects.for_business(salon).get().name == "Dana"


def test_a_missing_file_fails_clearly(salon, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        _run(str(tmp_path / "nope.csv"), "--business", "south-congress")


def test_a_file_that_is_not_a_leads_csv_fails_clearly(salon, tmp_path):
    path = _file(tmp_path, "colour,size\nteal,9\n")
    with pytest.raises(CommandError, match="is not a leads CSV"):
        _run(path, "--business", "south-congress")


def test_an_unknown_business_is_refused(tmp_path):
    path = _file(tmp_path, HEADER)
    with pytest.raises(CommandError, match="No business with slug"):
        _run(path, "--business", "nope")
