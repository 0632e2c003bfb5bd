from django.core import checks
from django.core.checks.registry import registry

from apps.calls.checks import check_openai


def test_a_missing_openai_key_is_only_a_warning(settings):
    settings.OPENAI_API_KEY = ""

    assert check_openai() == [
        checks.Warning(
            "OPENAI_API_KEY is not set: post-call analysis is skipped "
            "(calls are marked 'skipped', no lead scoring).",
            hint="Set OPENAI_API_KEY to enable analysis.",
            id="calls.W001",
        )
    ]


def test_an_openai_key_passes(settings):
    settings.OPENAI_API_KEY = "sk-test"

    assert check_openai() == []


def test_the_check_runs_only_under_check_deploy():
    assert check_openai in registry.deployment_checks
    assert check_openai not in registry.registered_checks
