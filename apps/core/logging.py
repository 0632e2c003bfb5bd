"""Log records carry the VAPI call id of the work in hand."""

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager

current_vapi_call_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_vapi_call_id", default=""
)


class VapiCallIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.vapi_call_id = current_vapi_call_id.get() or "-"
        return True


@contextmanager
def vapi_call_context(vapi_call_id: str | None) -> Iterator[None]:
    """Tag every log line written inside the block with this call id."""
    token = current_vapi_call_id.set(vapi_call_id or "")
    try:
        yield
    finally:
        current_vapi_call_id.reset(token)
