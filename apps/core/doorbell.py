"""Ringing a worker about one database row: the row is the truth, the broker a doorbell."""

import logging

logger = logging.getLogger(__name__)


def ring(task, row_id: int, *, what: str) -> bool:
    """Enqueue `task` for one row. Never raises: False if the broker is down.

    Publishing fails fast (CELERY_TASK_PUBLISH_RETRY_POLICY); the row keeps its
    pending state and the periodic sweep that watches it rings again.
    """
    try:
        task.delay(row_id)
    except Exception:  # any broker/transport failure
        logger.warning(
            "Could not enqueue %s %s; the sweep will retry", what, row_id, exc_info=True
        )
        return False
    return True
