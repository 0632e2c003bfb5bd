import datetime as dt
import zoneinfo

import pytest

from apps.appointments.slots import InvalidSlotError, Slot, parse_slot_id

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def make_slot(**overrides) -> Slot:
    values = dict(
        service_id=12,
        provider_id=345,
        provider_name="Ana",
        start_at=dt.datetime(2025, 3, 11, 14, 30, tzinfo=dt.UTC),
        end_at=dt.datetime(2025, 3, 11, 15, 30, tzinfo=dt.UTC),
    )
    return Slot(**(values | overrides))


def test_a_slot_id_round_trips():
    slot = make_slot()
    ref = parse_slot_id(slot.slot_id)
    assert (ref.service_id, ref.provider_id, ref.start_at) == (12, 345, slot.start_at)


def test_a_slot_id_is_short_and_stable():
    slot = make_slot()
    assert slot.slot_id == make_slot().slot_id
    assert len(slot.slot_id) < 40
    assert slot.slot_id != make_slot(provider_id=346).slot_id


def test_a_slot_id_from_a_local_time_is_the_same_instant():
    local = make_slot(start_at=dt.datetime(2025, 3, 11, 9, 30, tzinfo=CHICAGO))
    assert local.slot_id == make_slot().slot_id


@pytest.mark.parametrize(
    "tamper",
    [
        lambda s: ("X" if s[0] != "X" else "Y") + s[1:],  # another service
        lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"),
        lambda s: s.split(".")[0],
        lambda s: "." + s.split(".")[1],
        lambda s: "c-9l-ha6fc.AAAAAAAAAAAAAAAA",
        lambda s: s + "x",
        lambda s: "",
        lambda s: "not a slot",
        lambda s: "1-2-3-4.abc",
    ],
)
def test_a_tampered_slot_id_is_rejected(tamper):
    with pytest.raises(InvalidSlotError):
        parse_slot_id(tamper(make_slot().slot_id))


def test_a_slot_id_signed_with_another_key_is_rejected(settings):
    slot_id = make_slot().slot_id
    settings.SECRET_KEY = "another-secret"
    with pytest.raises(InvalidSlotError):
        parse_slot_id(slot_id)


def test_a_slot_id_survives_secret_key_rotation(settings):
    slot_id = make_slot().slot_id
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the-new-secret"
    assert parse_slot_id(slot_id).provider_id == 345


def test_invalid_slot_error_is_a_value_error():
    assert issubclass(InvalidSlotError, ValueError)
