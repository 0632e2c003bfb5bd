"""Doctor's probe of deletion at VAPI: erased calls, and calls whose caller declined
recording, whose recording VAPI still holds."""

from django.core import checks

from apps.calls.models import Call
from apps.core import probes
from apps.privacy import vapi_deletion


@probes.register(probes.DATABASE)
def check_vapi_deletions(**kwargs) -> list[checks.CheckMessage]:
    """Calls VAPI still holds and the sweep deletes there (the sweep's own set)."""
    reasons = vapi_deletion.deletion_reasons()
    waiting = vapi_deletion.awaiting_vapi_deletion().count()
    if not waiting:
        return []
    calls = "erased" if len(reasons) == 1 else "erased or purged"
    if Call.objects.declined_recording_at_vapi().exists():
        calls += " or recording-declined"
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
