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
