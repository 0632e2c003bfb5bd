"""Retention and erasure: old call data purged per business, one caller erased everywhere.

Lives in calls because calls is the app allowed to reach leads, appointments and
notifications (STYLE.md's dependency direction).
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

__all__ = [
    "BATCH_SIZE",
    "ERASED_TEXT",
    "PURGED",
    "PURGED_TEXT",
    "UNASSIGNED_RETENTION_DAYS",
    "ErasureError",
    "ErasureReport",
    "PurgeReport",
    "erase_caller",
    "purge_call_data",
]
