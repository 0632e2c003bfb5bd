"""End to end: the real webhook URL, a real Celery worker on Redis, OpenAI faked at the wire.

The worker runs in a thread of the test process (`start_worker`), so respx's fake of
OpenAI and the in-memory mail and SMS outboxes apply to it too. The database must be
committed for that thread to see it: these tests use django_db(transaction=True).
"""

import copy
import datetime as dt
import json
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from apps.calls.models import Call
from apps.demo.services import seed_demo_business
from apps.notifications.channels import LocmemSmsBackend
from tests.brokers import use_broker
from tests.calls.test_analysis import COMPLETIONS_URL, GOOD_ANALYSIS, completion
from tests.vapi.payloads import load_payload
from tests.vapi.webhook import URL, bearer
from voicehive.celery import app as celery_app

# A caller the demo business has never heard from, so their lead is new.
NEW_CALLER = "+15125550199"
# A closed port: connecting fails at once, like a Redis that is down.
DEAD_BROKER = "redis://127.0.0.1:9/0"


@pytest.fixture(autouse=True)
def pipeline_settings(webhook_settings):
    webhook_settings.OPENAI_API_KEY = "sk-test"
    webhook_settings.OPENAI_BASE_URL = "https://api.openai.com/v1"
    webhook_settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    webhook_settings.SMS_BACKEND = "apps.notifications.channels.LocmemSmsBackend"
    # No quiet hours: they start and end at midnight.
    webhook_settings.QUIET_HOURS_START = "00:00"
    webhook_settings.QUIET_HOURS_END = "00:00"
    webhook_settings.POST_CALL_ALERT_MAX_AGE_HOURS = 24
    LocmemSmsBackend.outbox = []
    yield webhook_settings
    LocmemSmsBackend.outbox = []


@pytest.fixture
def demo():
    business = seed_demo_business(password="demo-password").business
    # Quiet hours are the business's own: none here either, whatever the hour.
    business.quiet_hours_start = business.quiet_hours_end = dt.time(0)
    business.save(update_fields=["quiet_hours_start", "quiet_hours_end"])
    return business


@pytest.fixture
def openai(respx_mock):
    """OpenAI's analysis of the example call: a bridal lead to follow up soon."""
    content = {**GOOD_ANALYSIS, "follow_up_urgency": "high"}
    return respx_mock.post(COMPLETIONS_URL).mock(
        return_value=httpx.Response(200, json=completion(content))
    )


@pytest.fixture
def broker() -> Iterator[Callable[[str], None]]:
    """Switch the app between brokers during a test; restored afterwards."""
    previous = celery_app.conf.broker_url
    yield use_broker
    use_broker(previous)


def start_redis_worker():
    """A worker thread in this process, so respx and the outboxes apply to it."""
    return start_worker(celery_app, pool="solo", perform_ping_check=False)


@pytest.fixture
def post(client):
    def _post(body: dict):
        started = time.monotonic()
        response = client.post(
            URL, json.dumps(body), content_type="application/json", headers=bearer()
        )
        return response, time.monotonic() - started

    return _post


def end_of_call_report(*, caller: str = NEW_CALLER) -> dict:
    """The example report from a new caller, for a call that just ended."""
    body = copy.deepcopy(load_payload("11-end-of-call-report"))
    message = body["message"]
    ended = dt.datetime.now(dt.UTC)
    started = ended - dt.timedelta(seconds=94)
    for holder in (message, message["call"]):
        holder["startedAt"] = started.isoformat().replace("+00:00", "Z")
        holder["endedAt"] = ended.isoformat().replace("+00:00", "Z")
    message["timestamp"] = int(ended.timestamp() * 1000)
    message["customer"]["number"] = caller
    message["call"]["customer"]["number"] = caller
    return body


def booking_tool_call(slot_id: str, *, caller: str = NEW_CALLER) -> dict:
    """Roxy booking the slot for the caller, during the same call."""
    body = copy.deepcopy(load_payload("05-tool-calls-book-appointment"))
    message = body["message"]
    message["timestamp"] = int(time.time() * 1000)
    message["customer"]["number"] = caller
    message["call"]["customer"]["number"] = caller
    arguments = {
        "slot_id": slot_id,
        "customer_name": "Dana Whitfield",
        "email": "dana@example.com",
    }
    for call in message["toolCallList"]:
        call["function"]["arguments"] = arguments
    for tool in message.get("toolWithToolCallList") or []:
        tool["toolCall"]["function"]["arguments"] = arguments
    return body


def the_call() -> Call:
    return Call.objects.select_related("lead").get(caller_number=NEW_CALLER)


def sent_emails(to: str) -> list[str]:
    return sorted(m.subject for m in mail.outbox if to in m.to)


def sent_texts(to: str) -> list[str]:
    return [m.body for m in LocmemSmsBackend.outbox if m.to == to]
