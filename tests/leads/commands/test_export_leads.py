import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.demo.services import seed_demo_business
from apps.leads import csv_format
from apps.leads.models import Lead
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    return seed_demo_business(password="demo-pass").business


def _export(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("export_leads", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_exports_every_lead_of_the_business_oldest_first_to_stdout(demo):
    LeadFactory(name="Other tenant")
    out, err = _export("--business", "maison-belle")
    rows = _rows(out)
    assert list(rows[0]) == list(csv_format.COLUMNS)
    assert [r["name"] for r in rows] == [
        "Dana Whitfield",
        "Marcus Lee",
        "Priya Raman",
        "Tom Becker",
    ]
    assert rows[0]["phone"] == "+15125550187"
    assert err.strip().endswith("Exported 4 lead(s) of maison-belle.")


def test_exports_to_a_file_with_the_summary_on_stdout(demo, tmp_path):
    target = tmp_path / "leads.csv"
    out, _ = _export("--business", "maison-belle", "--output", str(target))
    assert out.strip() == f"Exported 4 lead(s) of maison-belle to {target}."
    assert len(_rows(target.read_text())) == 4


def test_status_filter_can_be_repeated(demo):
    out, _ = _export(
        "--business", "maison-belle", "--status", "new", "--status", "booked"
    )
    assert {r["name"] for r in _rows(out)} == {"Dana Whitfield", "Marcus Lee"}


def test_since_and_until_filter_on_created_at(demo):
    old = Lead.objects.get(name="Tom Becker")
    Lead.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=30)
    )
    recent, _ = _export("--business", "maison-belle", "--since", "7d")
    assert "Tom Becker" not in recent and len(_rows(recent)) == 3
    older, _ = _export("--business", "maison-belle", "--until", "7d")
    assert [r["name"] for r in _rows(older)] == ["Tom Becker"]


def test_progress_goes_to_stderr(demo):
    _, err = _export("--business", "maison-belle")
    assert "Wrote 4/4 lead(s)" in err


def test_an_unknown_business_is_refused():
    with pytest.raises(CommandError, match="No business with slug 'nope'"):
        _export("--business", "nope")


def test_the_business_is_required():
    with pytest.raises(CommandError, match="--business"):
        _export()


def test_an_unwritable_output_fails_clearly(demo, tmp_path):
    with pytest.raises(CommandError, match="Cannot write"):
        _export(
            "--business", "maison-belle", "--output", str(tmp_path / "no" / "x.csv")
        )
