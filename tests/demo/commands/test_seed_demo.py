import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_seed_demo_prints_the_login_and_is_idempotent():
    out = io.StringIO()
    call_command("seed_demo", "--password", "pw-for-test", stdout=out)
    call_command("seed_demo", stdout=out)
    first, second = out.getvalue().splitlines()
    assert first == (
        "Created demo business 'Maison Belle Hair Studio'. Staff login: demo / pw-for-test"
    )
    assert second.startswith(
        "Already present: demo business 'Maison Belle Hair Studio'."
    )
