"""Roxy offers as many times as the business says (issue #16)."""

import pytest

from tests.roxy.test_tools import result, slot_ids

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("offered", [2, 4])
def test_roxy_offers_the_business_number_of_slots(salon, call, offered):
    salon.business.slots_offered = offered
    salon.business.save()
    said = result(salon, call, "check_availability", {"service": "Haircut"})
    assert len(slot_ids(said)) == offered
