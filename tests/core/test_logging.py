import io
import json
import logging

from pythonjsonlogger.json import JsonFormatter

from apps.core.logging import VapiCallIdFilter, vapi_call_context


def _capture(formatter):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(VapiCallIdFilter())
    logger = logging.getLogger("tests.vapi_call_id")
    logger.handlers = [handler]
    logger.propagate = False
    return logger, stream


def test_log_lines_carry_the_vapi_call_id_inside_the_context():
    logger, stream = _capture(
        JsonFormatter("%(levelname)s %(message)s %(vapi_call_id)s")
    )
    with vapi_call_context("01959539-0aec"):
        logger.warning("tool ran")
    logger.warning("outside")
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["vapi_call_id"] == "01959539-0aec"
    assert inside["message"] == "tool ran"
    assert outside["vapi_call_id"] == "-"


def test_the_production_format_is_one_json_object_per_line(settings):
    formatter_config = settings.LOGGING["formatters"]["json"]
    formatter = JsonFormatter(
        formatter_config["fmt"], rename_fields=formatter_config["rename_fields"]
    )
    logger, stream = _capture(formatter)
    with vapi_call_context("abc"):
        logger.error("first\nsecond")
    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["level"] == "ERROR"
    assert record["vapi_call_id"] == "abc"
    assert record["message"] == "first\nsecond"


def test_worker_lines_carry_the_row_ids_as_json_fields(settings):
    from apps.core.logging import JsonFormatter, log_context

    formatter_config = settings.LOGGING["formatters"]["json"]
    assert formatter_config["()"] == "apps.core.logging.JsonFormatter"
    logger, stream = _capture(
        JsonFormatter(
            formatter_config["fmt"], rename_fields=formatter_config["rename_fields"]
        )
    )
    with log_context(vapi_call_id="vapi-1", call_id=12):
        with log_context(notification_id=34, appointment_id=None):
            logger.info("sent")
        logger.info("analysed")
    logger.info("idle")

    sent, analysed, idle = (json.loads(line) for line in stream.getvalue().splitlines())
    assert sent["vapi_call_id"] == "vapi-1"
    assert (sent["call_id"], sent["notification_id"]) == (12, 34)
    assert "appointment_id" not in sent and "ids" not in sent
    assert analysed["call_id"] == 12 and "notification_id" not in analysed
    assert idle["vapi_call_id"] == "-" and "call_id" not in idle


def test_text_lines_name_the_ids(settings):
    from apps.core.logging import log_context

    logger, stream = _capture(
        logging.Formatter(settings.LOGGING["formatters"]["text"]["format"])
    )
    with log_context(call_id=12, notification_id=34):
        logger.warning("retrying")

    assert stream.getvalue().rstrip().endswith("retrying call_id=12 notification_id=34")


def test_the_worker_logs_through_the_projects_logging():
    """Celery installs its own plain-text handlers unless someone answers
    setup_logging: voicehive.celery does, so the worker writes the web's JSON."""
    from celery.signals import setup_logging

    from voicehive import celery as celery_module

    receivers = [receiver for *_, receiver in setup_logging.receivers]
    assert celery_module.use_the_projects_logging in receivers


def test_task_lines_name_the_task_and_its_row(settings):
    from apps.core.logging import current_ids
    from apps.notifications.tasks import deliver_notification as task
    from voicehive import celery as celery_module

    celery_module.tag_task_log_lines(task_id="t-1", task=task, args=(34,))
    inside = dict(current_ids.get())
    celery_module.untag_task_log_lines(task_id="t-1")

    assert inside == {
        "task": "notifications.deliver_notification",
        "task_id": "t-1",
        "notification_id": 34,
    }
    assert dict(current_ids.get()) == {}
