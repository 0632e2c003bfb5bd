import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.calls.analysis import PROMPT_VERSION
from apps.calls.models import Call
from tests.businesses.factories import BusinessFactory
from tests.calls.factories import CallFactory

pytestmark = pytest.mark.django_db


def _run(*args):
    out = io.StringIO()
    call_command("reanalyze_calls", *args, stdout=out)
    return out.getvalue().strip()


def _aged(call, days):
    Call.objects.filter(pk=call.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days)
    )
    return call


def test_queues_ended_calls_of_the_window_only():
    recent = CallFactory(analysis_status=Call.AnalysisStatus.COMPLETED)
    _aged(CallFactory(analysis_status=Call.AnalysisStatus.COMPLETED), days=3)
    CallFactory(status=Call.Status.IN_PROGRESS)
    assert _run() == f"Queued 1 call(s) for analysis with prompt {PROMPT_VERSION}."
    recent.refresh_from_db()
    assert recent.analysis_status == Call.AnalysisStatus.PENDING


def test_filters_by_business_and_prompt_version():
    business = BusinessFactory(slug="salon")
    CallFactory(business=business, prompt_version="2025-01-01.1")
    CallFactory(business=business, prompt_version=PROMPT_VERSION)
    CallFactory(prompt_version="2025-01-01.1")
    assert _run(
        "--since", "7d", "--business", "salon", "--prompt-version", "2025-01-01.1"
    ) == (f"Queued 1 call(s) for analysis with prompt {PROMPT_VERSION}.")


def test_dry_run_queues_nothing():
    call = CallFactory(analysis_status=Call.AnalysisStatus.FAILED)
    assert _run("--dry-run") == "Would queue 1 call(s) for analysis."
    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.FAILED


def test_an_unknown_business_fails():
    with pytest.raises(CommandError, match="No business with slug 'nope'"):
        _run("--business", "nope")


def test_selects_failed_and_skipped_calls_by_status():
    failed = CallFactory(
        analysis_status=Call.AnalysisStatus.FAILED, analysis_error="OpenAI HTTP 500"
    )
    skipped = CallFactory(analysis_status=Call.AnalysisStatus.SKIPPED)
    CallFactory(analysis_status=Call.AnalysisStatus.COMPLETED, prompt_version="v1")

    assert _run("--status", "failed", "--status", "skipped", "--dry-run") == (
        "Would queue 2 call(s) for analysis."
    )
    assert _run("--status", "failed").startswith("Queued 1 call(s)")
    failed.refresh_from_db(), skipped.refresh_from_db()
    assert failed.analysis_status == Call.AnalysisStatus.PENDING
    assert failed.analysis_error == "" and failed.analysis_attempts == 0
    assert skipped.analysis_status == Call.AnalysisStatus.SKIPPED


def test_an_unknown_status_is_refused():
    with pytest.raises(CommandError):
        _run("--status", "pending")
