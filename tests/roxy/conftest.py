"""Roxy answers the example call's salon at the example call's moment."""

import pytest

from tests.calls.factories import CallFactory
from tests.roxy.salon import CALLER, NOW, build_salon
from tests.vapi.payloads import CALL_ID


@pytest.fixture(autouse=True)
def at_the_example_call(time_machine, settings):
    # Pinned rather than read from the environment: the offers Roxy makes depend on them.
    settings.SCHEDULING_SLOT_MINUTES = 30
    settings.SCHEDULING_MIN_NOTICE_MINUTES = 60
    settings.ROXY_SLOTS_OFFERED = 4
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def salon():
    return build_salon()


@pytest.fixture
def call(salon):
    return CallFactory(
        business=salon.business, vapi_call_id=CALL_ID, caller_number=CALLER, lead=None
    )
