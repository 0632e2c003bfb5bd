import pytest

from apps.core.phones import InvalidPhoneError, format_phone, normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        "(512) 555-0187",
        "512.555.0187",
        "+1 512 555 0187",
        "1-512-555-0187",
        "5125550187",
    ],
)
def test_normalize_phone_accepts_the_ways_people_type_a_us_number(raw):
    assert normalize_phone(raw) == "+15125550187"


def test_normalize_phone_keeps_international_numbers():
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize("raw", ["", "hello", "123", "+1 512"])
def test_normalize_phone_rejects_what_is_not_a_number(raw):
    with pytest.raises(InvalidPhoneError):
        normalize_phone(raw)


def test_format_phone_is_national_at_home_and_international_abroad():
    assert format_phone("+15125550187") == "(512) 555-0187"
    assert format_phone("+442079460958") == "+44 20 7946 0958"
    assert format_phone("not a number") == "not a number"
