"""Doctor's probe of erasure at VAPI: erased calls whose recording VAPI still holds."""

from django.core import checks

from apps.calls.models import Call
from apps.core import probes
from apps.privacy import vapi_deletion


@probes.register(probes.DATABASE)
def check_vapi_deletions(**kwargs) -> list[checks.CheckMessage]:
    """Erased calls VAPI still holds can be deleted there."""
    reasons = vapi_deletion.deletion_reasons()
    waiting = Call.objects.awaiting_vapi_deletion(reasons).count()
    if not waiting:
        return []
    calls = "erased" if len(reasons) == 1 else "erased or purged"
    if not vapi_deletion.is_configured():
        return [
            checks.Warning(
                f"VAPI copies of erased calls: VAPI still holds the recording and "
                f"transcript of {waiting} {calls} call(s): without VAPI_API_KEY they "
                "cannot be deleted there.",
                hint="Set VAPI_API_KEY to the private API key from the VAPI dashboard; "
                "the worker then deletes them within ten minutes.",
                id="privacy.W001",
            )
        ]
    return [
        checks.Info(
            f"VAPI copies of erased calls: {waiting} {calls} call(s) being deleted "
            "at VAPI",
            id="privacy.I001",
        )
    ]
