import logging

from kombu.exceptions import OperationalError

from apps.core.doorbell import ring


class Task:
    def __init__(self, error: Exception | None = None):
        self.error = error
        self.sent = []

    def delay(self, row_id):
        if self.error:
            raise self.error
        self.sent.append(row_id)


def test_ringing_enqueues_the_row():
    task = Task()

    assert ring(task, 7, what="analysis of call") is True
    assert task.sent == [7]


def test_a_broker_outage_is_logged_not_raised(caplog):
    task = Task(OperationalError("connection refused"))

    with caplog.at_level(logging.WARNING):
        assert ring(task, 7, what="analysis of call") is False

    assert "Could not enqueue analysis of call 7; the sweep will retry" in caplog.text
