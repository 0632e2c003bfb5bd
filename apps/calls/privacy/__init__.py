"""Retention and erasure: old call data purged per business, one caller erased everywhere.

An erased caller's calls are deleted at VAPI too (vapi_deletion). Lives in calls
because calls is the app allowed to reach leads, appointments and notifications
(STYLE.md's dependency direction).
"""

from apps.calls.privacy.erasure import (
    ERASED_TEXT,
    ErasureError,
    ErasureReport,
    erase_caller,
)
from apps.calls.privacy.retention import (
    BATCH_SIZE,
    PURGED,
    PURGED_TEXT,
    UNASSIGNED_RETENTION_DAYS,
    PurgeReport,
    purge_call_data,
)
from apps.calls.privacy.vapi_deletion import (
    delete_vapi_call_data,
    request_vapi_deletion,
    sweep_vapi_deletions,
)

__all__ = [
    "BATCH_SIZE",
    "ERASED_TEXT",
    "PURGED",
    "PURGED_TEXT",
    "UNASSIGNED_RETENTION_DAYS",
    "ErasureError",
    "ErasureReport",
    "PurgeReport",
    "delete_vapi_call_data",
    "erase_caller",
    "purge_call_data",
    "request_vapi_deletion",
    "sweep_vapi_deletions",
]
