"""Deploy checks of the post-call settings: analysis needs OPENAI_API_KEY."""

from django.core import checks

from apps.calls import analysis


@checks.register(deploy=True)
def check_openai(**kwargs) -> list[checks.CheckMessage]:
    """Post-call analysis has its OpenAI key."""
    if analysis.is_configured():
        return []
    # A warning, not an error: calls are kept and marked "skipped", on purpose.
    return [
        checks.Warning(
            "OPENAI_API_KEY is not set: post-call analysis is skipped "
            "(calls are marked 'skipped', no lead scoring).",
            hint="Set OPENAI_API_KEY to enable analysis.",
            id="calls.W001",
        )
    ]
