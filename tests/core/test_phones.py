from types import SimpleNamespace

import pytest
from django.template import Context, Template

from apps.core.phones import (
    InvalidPhoneError,
    can_text,
    format_phone,
    home_region,
    normalize_phone,
    phone_link,
)


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


def test_format_phone_reads_numbers_as_the_given_country_does():
    assert format_phone("+442079460958", region="GB") == "020 7946 0958"
    assert format_phone("+15125550187", region="GB") == "+1 512-555-0187"


def _business(phone="", transfer_number=""):
    return SimpleNamespace(phone=phone, transfer_number=transfer_number)


@pytest.mark.parametrize(
    ("business", "region"),
    [
        (_business("+442079460958", "+15125550100"), "GB"),
        (_business("", "+33142685300"), "FR"),
        (_business("not a number"), "US"),
        (None, "US"),
    ],
)
def test_a_business_reads_numbers_as_its_own_number_s_country(business, region):
    assert home_region(business) == region


@pytest.mark.parametrize(
    ("number", "textable"),
    [
        ("+15125550187", True),  # North America: may be a mobile
        ("+33612345678", True),  # a French mobile
        ("+442079460958", False),  # a London landline
        ("+18005550100", False),  # toll free
        ("hello", False),
    ],
)
def test_can_text_only_numbers_that_take_texts(number, textable):
    assert can_text(number) is textable


def test_phone_link_dials_and_texts_in_the_business_s_format():
    html = phone_link("+15125550187", _business("+15125550142"))

    assert html == (
        '<a class="vh-phone" href="tel:+15125550187">(512) 555-0187</a> '
        '<a class="vh-sms" href="sms:+15125550187" title="Text (512) 555-0187">Text</a>'
    )


def test_phone_link_abroad_is_international_and_a_landline_gets_no_text_link():
    html = phone_link("+442079460958", _business("+15125550142"))

    assert html == '<a class="vh-phone" href="tel:+442079460958">+44 20 7946 0958</a>'


def test_phone_link_leaves_out_texting_when_told():
    assert "sms:" not in phone_link("+15125550187", None, texting=False)


@pytest.mark.parametrize(
    ("number", "shown"), [("", "—"), ("anonymous", "anonymous"), ("<b>", "&lt;b&gt;")]
)
def test_phone_link_of_no_number_is_plain_escaped_text(number, shown):
    assert phone_link(number) == shown


def test_the_template_tag_renders_the_same_link():
    template = Template(
        "{% load phones %}{% phone_link number business texting=False %}"
    )
    business = _business("+15125550142")

    rendered = template.render(Context({"number": "5125550187", "business": business}))

    assert rendered == phone_link("+15125550187", business, texting=False)
