"""apply_business and export_business: one file brings a business live (issue #16)."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.blueprints import apply as blueprint_apply
from apps.blueprints import fileformat
from apps.blueprints.export import export_business
from apps.businesses.models import Business, TransferDestination
from apps.demo.services import BUSINESS_FILES
from tests.vapi.payloads.vapi_api import PHONE_NUMBER_ID, phone_number

pytestmark = pytest.mark.django_db

CLINIC = (BUSINESS_FILES / "clinica-sol.yaml").read_text(encoding="utf-8")
SALON = (BUSINESS_FILES / "maison-belle.yaml").read_text(encoding="utf-8")


def run(*args) -> list[str]:
    out = io.StringIO()
    call_command("apply_business", *args, stdout=out)
    return out.getvalue().splitlines()


def write(tmp_path: Path, text: str, name="business.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_file_brings_a_business_live(tmp_path):
    lines = run(write(tmp_path, CLINIC), "--skip-vapi")

    clinic = Business.objects.get(slug="clinica-sol")
    assert clinic.name == "Clínica Dental Sol"
    assert clinic.opening_hours.count() == 5
    assert clinic.services.count() == 3
    dra = clinic.providers.get(name="Dra. Elena Ruiz")
    assert dra.services.count() == 3  # services: all
    warm = clinic.transfer_destinations.get(name="Dentista de guardia")
    assert warm.mode == TransferDestination.Mode.WARM
    assert clinic.phone_numbers.get().number == "+13055550170"
    assert lines[-1].startswith("Applied ") and lines[-1].endswith("(new business).")


def test_running_it_again_changes_nothing(tmp_path):
    path = write(tmp_path, CLINIC)
    run(path, "--skip-vapi")
    assert run(path, "--skip-vapi") == ["Applied 0 change(s) to clinica-sol."]


def test_dry_run_shows_the_diff_and_writes_nothing(tmp_path):
    run(write(tmp_path, CLINIC), "--skip-vapi")
    changed = CLINIC.replace("slots_offered: 3", "slots_offered: 5").replace(
        "  - {name: Blanqueamiento, minutes: 60, price: 350.00, buffer: 15, "
        "description: Teeth whitening}\n",
        "",
    )
    lines = run(write(tmp_path, changed, "changed.yaml"), "--dry-run", "--skip-vapi")

    assert "  ~ slots_offered: 3 -> 5" in lines
    assert "  ~ service Blanqueamiento: switched off (not in the file)" in lines
    assert lines[-1] == "Would apply 2 change(s) to clinica-sol."
    clinic = Business.objects.get(slug="clinica-sol")
    assert clinic.slots_offered == 3
    assert clinic.services.get(name="Blanqueamiento").is_active


def test_errors_name_the_line(tmp_path):
    bad = CLINIC.replace(
        '  - {day: tue, opens: "08:00"', '  - {day: tue, opens: "8 AM"'
    )
    bad = bad.replace("rules:\n", "rules:\n  slot_size: 10\n")
    with pytest.raises(CommandError) as failure:
        run(write(tmp_path, bad), "--skip-vapi")
    message = str(failure.value)
    assert "business.yaml:24: unknown rules setting 'slot_size'" in message
    assert "business.yaml:35: hours[1].opens must be HH:MM" in message
    assert not Business.objects.filter(slug="clinica-sol").exists()


def test_a_model_rule_broken_names_its_line():
    bad = CLINIC.replace("slot_minutes: 15", "slot_minutes: 7")
    with pytest.raises(fileformat.BlueprintError) as failure:
        blueprint_apply.apply_file(bad)
    assert failure.value.errors == [
        "line 24: slot_minutes: Use a multiple of 5 minutes."
    ]


def test_not_yaml_at_all_names_the_line():
    with pytest.raises(fileformat.BlueprintError) as failure:
        fileformat.load("slug: x\nhours: [\n")
    assert failure.value.errors[0].startswith("line ")


def test_export_then_apply_round_trips(tmp_path):
    run(write(tmp_path, CLINIC), "--skip-vapi")
    out = io.StringIO()
    call_command("export_business", "clinica-sol", stdout=out)
    exported = out.getvalue()

    assert fileformat.load(exported)["slug"] == "clinica-sol"
    assert run(write(tmp_path, exported, "exported.yaml"), "--skip-vapi") == [
        "Applied 0 change(s) to clinica-sol."
    ]
    # And into an empty database, the export recreates the same business.
    Business.objects.all().delete()
    run(write(tmp_path, exported, "exported.yaml"), "--skip-vapi")
    assert export_business(Business.objects.get(slug="clinica-sol")) == exported


def test_the_numbers_are_pointed_at_voicehive(tmp_path, fake_vapi):
    fake_vapi.add_phone_number(phone_number())
    lines = run(write(tmp_path, SALON))

    assert any(PHONE_NUMBER_ID in line for line in lines)
    assert len(fake_vapi.patches) == 1
    assert run(write(tmp_path, SALON))[-2].endswith(": in sync")


def test_without_a_vapi_key_the_numbers_wait_for_sync(tmp_path, settings):
    settings.VAPI_API_KEY = ""
    lines = run(write(tmp_path, SALON))
    assert any("VAPI_API_KEY is not set" in line for line in lines)
