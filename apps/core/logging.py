"""Log records carry the ids of the work in hand: the VAPI call id on the web, and in
the worker the call, notification and appointment a line is about, so one call can
be followed from the webhook to the email in production logs."""

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pythonjsonlogger.core
import pythonjsonlogger.json

current_vapi_call_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_vapi_call_id", default=""
)
# Our own row ids (call_id, notification_id, appointment_id, ...) of the work in hand.
# A tuple of (name, value) pairs: a context variable's default must be immutable.
current_ids: contextvars.ContextVar[tuple[tuple[str, object], ...]] = (
    contextvars.ContextVar("current_ids", default=())
)


class VapiCallIdFilter(logging.Filter):
    """Puts the context on every record: `vapi_call_id` ("-" when none), each id as
    its own attribute (JSON lines get them as fields) and `ids` for text lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.vapi_call_id = current_vapi_call_id.get() or "-"
        ids = current_ids.get()
        for name, value in ids:
            setattr(record, name, value)
        record.ids = " ".join(f"{name}={value}" for name, value in ids)
        return True


@contextmanager
def vapi_call_context(vapi_call_id: str | None) -> Iterator[None]:
    """Tag every log line written inside the block with this call id."""
    token = current_vapi_call_id.set(vapi_call_id or "")
    try:
        yield
    finally:
        current_vapi_call_id.reset(token)


@contextmanager
def log_context(*, vapi_call_id: str | None = None, **ids: object) -> Iterator[None]:
    """Tag every log line inside the block with these ids (None ones are left out),
    on top of the ids already in force; `vapi_call_id` as vapi_call_context does."""
    merged = {
        **dict(current_ids.get()),
        **{k: v for k, v in ids.items() if v is not None},
    }
    token = current_ids.set(tuple(merged.items()))
    vapi_token = current_vapi_call_id.set(vapi_call_id) if vapi_call_id else None
    try:
        yield
    finally:
        current_ids.reset(token)
        if vapi_token is not None:
            current_vapi_call_id.reset(vapi_token)


class JsonFormatter(pythonjsonlogger.json.JsonFormatter):
    """One JSON object per line; the ids are fields of their own, so the text
    summary `ids` (and Celery's own record attributes) are left out."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault(
            "reserved_attrs", [*pythonjsonlogger.core.RESERVED_ATTRS, "ids", "data"]
        )
        super().__init__(*args, **kwargs)
