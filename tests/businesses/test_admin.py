"""The business page: its time zone is picked from a list, never typed."""

import zoneinfo

import pytest
from django.contrib import admin
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.urls import reverse

from apps.businesses.admin import COMMON_TIMEZONES, timezone_choices
from apps.businesses.models import Business, Membership
from tests.businesses.factories import BusinessFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return MembershipFactory(
        business=BusinessFactory(name="North Studio", timezone="America/Denver"),
        role=Membership.Role.MANAGER,
    )


def _bound_form(manager, **changes):
    request = RequestFactory().get("/")
    request.user = manager.user
    business = manager.business
    form_class = admin.site._registry[Business].get_form(request, business)
    data = {
        key: value
        for key, value in model_to_dict(business).items()
        if key in form_class.base_fields
    }
    return form_class(data={**data, **changes}, instance=business)


def test_the_choices_are_every_zone_the_model_accepts_common_ones_first():
    (common_label, common), (all_label, every) = timezone_choices()

    assert (common_label, all_label) == ("Common", "All time zones")
    assert [name for name, _ in common] == list(COMMON_TIMEZONES)
    assert [name for name, _ in every] == sorted(zoneinfo.available_timezones())
    assert ("America/New_York", "America/New York") in common


def test_the_page_offers_a_list_with_the_current_zone_chosen(client, manager):
    client.force_login(manager.user)

    page = client.get(
        reverse("admin:businesses_business_change", args=[manager.business.pk])
    ).content.decode()

    assert '<select name="timezone"' in page
    assert '<optgroup label="Common">' in page
    assert '<option value="America/Denver" selected>America/Denver</option>' in page
    assert '<option value="Asia/Tokyo">Asia/Tokyo</option>' in page


def test_a_zone_from_the_list_is_saved(manager):
    form = _bound_form(manager, timezone="Asia/Tokyo")

    assert form.is_valid(), form.errors
    assert form.save().timezone == "Asia/Tokyo"


@pytest.mark.parametrize("typed", ["Mars/Olympus_Mons", "america/chicago", "CST", ""])
def test_anything_not_on_the_list_is_refused(manager, typed):
    form = _bound_form(manager, timezone=typed)

    assert not form.is_valid()
    assert "timezone" in form.errors


def test_an_existing_business_saves_unchanged(manager):
    form = _bound_form(manager)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["timezone"] == "America/Denver"
