import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum
from django.utils import timezone

from apps.businesses.models import Business
from apps.calls.models import PURGED, Call, WebhookEvent
from apps.demo.services import seed_demo_business
from tests.businesses.factories import BusinessFactory
from tests.calls.factories import CallFactory, WebhookEventFactory

pytestmark = pytest.mark.django_db


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("purge_call_data", *args, stdout=out, stderr=err)
    return out.getvalue().splitlines(), err.getvalue()


def _aged_call(business, days):
    call = CallFactory(
        business=business,
        started_at=timezone.now() - dt.timedelta(days=days),
        recording_url="https://storage.vapi.ai/mono.wav",
    )
    event = WebhookEventFactory(call=call, vapi_call_id=call.vapi_call_id)
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=call.started_at)
    return call


@pytest.fixture
def salons():
    """The demo salon (a year's retention, calls from the last days) and two others."""
    demo = seed_demo_business(password="demo-pass").business
    strict = BusinessFactory(slug="strict", data_retention_days=30)
    for days in (3, 40, 400):
        _aged_call(demo, days)
        _aged_call(strict, days)
    return demo, strict


def _totals():
    return Call.objects.aggregate(
        calls=Count("pk"),
        seconds=Sum("duration_seconds"),
        events=Count("webhook_events"),
    )


def _by_business(lines):
    """The per-business lines by slug, and the summary line."""
    *rows, summary = lines
    return {row.split()[0]: row for row in rows}, summary


def test_purges_each_business_by_its_retention_and_keeps_the_counts(salons):
    before = _totals()
    out, err = _run()
    rows, summary = _by_business(out)
    assert rows.pop("maison-belle").startswith(
        "  maison-belle (365 days, before "
        f"{timezone.now() - dt.timedelta(days=365):%Y-%m-%d}): 1 call(s), "
        "1 webhook event(s), 0 tool invocation(s), 0 notification(s)"
    )
    assert rows.pop("strict").startswith(
        "  strict (30 days, before "
        f"{timezone.now() - dt.timedelta(days=30):%Y-%m-%d}): 2 call(s), "
        "2 webhook event(s), 0 tool invocation(s), 0 notification(s)"
    )
    # The other demo businesses (clinica-sol, ...) have nothing that old.
    for row in rows.values():
        assert "): 0 call(s), 0 webhook event(s), 0 tool invocation(s)" in row
    assert summary.startswith(
        "Purged 3 call(s), 3 webhook event(s), 0 tool invocation(s), 0 notification(s)"
    )
    assert summary.endswith(
        f"past retention in {Business.objects.count()} business(es); counts, "
        "durations, costs and links kept."
    )
    assert "Purged 6/6 row(s)" in err
    assert _totals() == before
    assert Call.objects.filter(transcript="", recording_url="").count() == 3
    assert WebhookEvent.objects.filter(payload=PURGED).count() == 3


def test_running_it_again_purges_nothing(salons):
    _run()
    out, _ = _run()
    assert out[-1].startswith("Purged 0 call(s), 0 webhook event(s)")


def test_a_dry_run_changes_nothing(salons):
    out, err = _run("--dry-run")
    assert out[-1].startswith("Would purge 3 call(s), 3 webhook event(s)")
    assert err == ""
    assert Call.objects.exclude(recording_url="").count() == 6


def test_one_business_only(salons):
    out, _ = _run("--business", "strict", "--batch-size", "1")
    assert len(out) == 2
    assert out[-1].startswith("Purged 2 call(s), 2 webhook event(s)")
    assert out[-1].endswith(
        "in 1 business(es); counts, durations, costs and links kept."
    )
    assert (
        Call.objects.filter(business__slug="maison-belle")
        .exclude(recording_url="")
        .count()
        == 3
    )


def test_an_unknown_business_is_refused():
    with pytest.raises(CommandError, match="No business with slug 'nope'"):
        _run("--business", "nope")


def test_a_batch_size_below_one_is_refused():
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        _run("--batch-size", "0")
