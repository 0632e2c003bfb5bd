"""Issue #17's end-to-end proof: provider outages and a killed worker end in delivery.

Real parts: gunicorn serving the webhook, a Celery worker and beat, PostgreSQL, Redis,
and three fake providers on loopback started by this script: an OpenAI-compatible
server that answers from the request's JSON schema, an SMTP server (asyncio) and
Twilio's Messages API. Realistic booking calls (apps/vapi/simulation) are posted over
HTTP, then:

  a. provider down 2 minutes: the model server and SMTP refuse connections;
  b. a worker SIGKILLed while the SMTP server holds a message (it has the whole
     message but has not answered): the message is sent again on recovery;
  c. a long outage, the retry settings scaled by `--scale` (default 30: 1 h of
     outage becomes 2 min, first retry 30 s -> 1 s, ceiling 1 h -> 120 s).

Each phase waits (no manual step) until every analysis is done and every email and
text is sent, then a table shows deliveries and duplicates (same Message-ID twice,
or a text sent twice). Usage: `make bench-outage` or `python bench/outage_run.py`.
"""

import argparse
import itertools
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.outage_providers import EMAILS, HOLD, PORTS, TEXTS, Providers  # noqa: E402

BIN = ROOT / ".venv" / "bin"
LOGS = ROOT / "var" / "outage"
DB_NAME = "voicehive_outage"
ENV = {
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
    "REDIS_URL": "redis://127.0.0.1:6379/9",
    "SECRET_KEY": "outage-run-secret",
    "DEBUG": "true",  # plain HTTP on loopback; the logs are production's JSON
    "LOG_FORMAT": "json",
    "VAPI_WEBHOOK_SECRET": "outage-webhook-secret",
    "OPENAI_API_KEY": "sk-outage-run",
    "OPENAI_BASE_URL": f"http://127.0.0.1:{PORTS['model']}/v1",
    "OPENAI_TIMEOUT_SECONDS": "10",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "127.0.0.1",
    "EMAIL_PORT": str(PORTS["smtp"]),
    "EMAIL_TIMEOUT": "10",
    "TWILIO_ACCOUNT_SID": "ACoutage0000000000000000000000000",
    "TWILIO_AUTH_TOKEN": "outage-token",
    "TWILIO_FROM_NUMBER": "+15125550000",
    "TWILIO_API_BASE_URL": f"http://127.0.0.1:{PORTS['twilio']}",
    # A killed worker's claim is released after the hard time limit: 3 min by default,
    # 60 s here so phase b takes minutes, not a quarter of an hour.
    "CELERY_TASK_SOFT_TIME_LIMIT": "45",
    "CELERY_TASK_TIME_LIMIT": "60",
}


CALLERS = itertools.count(1000)  # a new caller per call: each gets a new lead


# --- the project's processes --------------------------------------------------------


class Stack:
    def __init__(self):
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: list[str], extra: dict | None = None):
        log = open(LOGS / f"{name}.log", "a")  # noqa: SIM115 (kept by the child)
        self.procs[name] = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**os.environ, **(extra or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: SIGKILL takes the pool children
        )

    def worker(self, extra=None):
        self.start(
            "worker",
            [str(BIN / "celery"), "-A", "voicehive", "worker", "-c", "2", "-l", "info"],
            extra,
        )

    def beat(self, extra=None):
        schedule = str(LOGS / "beat-schedule")
        self.start(
            "beat",
            [
                str(BIN / "celery"),
                "-A",
                "voicehive",
                "beat",
                "-l",
                "info",
                "-s",
                schedule,
            ],
            extra,
        )

    def kill(self, name: str, sig=signal.SIGTERM):
        proc = self.procs.pop(name)
        os.killpg(proc.pid, sig)
        proc.wait(timeout=30)

    def stop_all(self):
        for name in list(self.procs):
            self.kill(name)


def manage(*args: str):
    subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def fresh_database():
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres") as conn:
        conn.autocommit = True
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    import redis

    redis.Redis.from_url(ENV["REDIS_URL"]).flushdb()


def wait_http(port: int, seconds: float = 180):
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz/", timeout=5)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit(f"nothing answers on port {port}")


# --- calls and what became of them --------------------------------------------------


def post_calls(count: int) -> list[str]:
    from apps.appointments.models import Service
    from apps.businesses.models import VapiPhoneNumber
    from apps.vapi import simulation

    line = VapiPhoneNumber.objects.select_related("business").order_by("pk").first()
    service = Service.objects.filter(business=line.business, is_active=True)
    url = f"http://127.0.0.1:{PORTS['web']}/api/v1/vapi/webhook/"
    transport = simulation.HttpTransport(
        url, simulation.WebhookCredential.from_settings()
    )
    ids = []
    for _ in range(count):
        caller = simulation.Caller(
            number=f"+1512555{next(CALLERS):04d}",
            name="Dana Whitfield",
        )
        simulator = simulation.CallSimulator(
            transport,
            phone_number_id=line.vapi_phone_number_id,
            phone_number=line.number,
            phone_label=line.label,
            caller=caller,
            service=service.order_by("duration_minutes", "name").first().name,
        )
        result = simulator.run("booking")
        if not result.ok:
            raise SystemExit(
                f"call {result.call_id}: {[s.label for s in result.failures]}"
            )
        ids.append(result.call_id)
    return ids


def outcome(call_ids: list[str]) -> dict:
    from django.db.models import Q

    from apps.calls.models import Call
    from apps.notifications.models import Notification

    calls = Call.objects.filter(vapi_call_id__in=call_ids)
    rows = Notification.objects.filter(
        Q(call__in=calls)
        | Q(lead__in=calls.values("lead"))
        | Q(appointment__source_call__in=calls)
    ).distinct()
    statuses = list(rows.values_list("channel", "status", "id"))
    # Failed analysis tries before the good one; a message's tries include its send.
    failed_tries = max(calls.values_list("analysis_attempts", flat=True), default=0)
    sends = max(rows.values_list("attempts", flat=True), default=0)
    return {
        "tries": f"{failed_tries} / {sends}",
        "analyses": list(calls.values_list("analysis_status", flat=True)),
        "notifications": statuses,
    }


def settled(state: dict) -> bool:
    done = {"completed", "failed", "skipped"}
    return all(s in done for s in state["analyses"]) and all(
        s not in ("queued", "sending") for _, s, _ in state["notifications"]
    )


def run_phase(label: str, call_ids: list[str], started: float, resumed: float) -> dict:
    """Wait until every analysis and message of the calls is done (or 20 minutes)."""
    while True:
        state = outcome(call_ids)
        if settled(state) or time.monotonic() - started > 1200:
            break
        time.sleep(2)
    email_ids = {i for c, _, i in state["notifications"] if c == "email"}
    sent = [i for c, s, i in state["notifications"] if s in ("sent", "delivered")]
    return {
        "phase": label,
        "calls": len(call_ids),
        "analysed": sum(s == "completed" for s in state["analyses"]),
        "emails": len(email_ids),
        "texts": sum(c == "sms" for c, _, _ in state["notifications"]),
        "sent": len(sent),
        "failed": sum(s == "failed" for _, s, _ in state["notifications"]),
        "stuck": len(state["notifications"]) - len(sent),
        "minutes": (time.monotonic() - started) / 60,
        "after": (time.monotonic() - resumed) / 60,
        "tries": state["tries"],
    }


def duplicates(before_emails: int, before_texts: int) -> tuple[int, int]:
    emails = EMAILS[before_emails:]
    texts = TEXTS[before_texts:]
    return len(emails) - len(set(emails)), len(texts) - len(set(texts))


def kill_on_hold(stack: Stack, killed: list[float]):
    if HOLD["held"].wait(300):
        stack.kill("worker", signal.SIGKILL)
        killed.append(time.monotonic())
        stack.worker()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=4, help="calls per phase")
    parser.add_argument("--outage", type=int, default=120, help="outage (a), seconds")
    parser.add_argument("--scale", type=int, default=30, help="time scale of phase c")
    options = parser.parse_args()
    LOGS.mkdir(parents=True, exist_ok=True)
    for old_log in LOGS.glob("*.log"):  # each run's logs on their own
        old_log.unlink()
    os.environ.update(ENV)
    fresh_database()
    manage("migrate", "--no-input")
    manage("seed_demo")
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voicehive.settings")
    import django

    django.setup()
    # The simulator's requests would drown the table; the processes log to var/outage.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from apps.businesses.models import Business

    # Texts must not wait for the night: no quiet hours in this run.
    Business.objects.update(quiet_hours_start="00:00", quiet_hours_end="00:00")

    providers = Providers()
    providers.start("model", "smtp")
    stack = Stack()
    stack.start(
        "web",
        [
            str(BIN / "gunicorn"),
            "voicehive.wsgi",
            "-w",
            "3",
            "-b",
            f"127.0.0.1:{PORTS['web']}",
        ],
    )
    results = []
    try:
        stack.worker()
        stack.beat()
        wait_http(PORTS["web"])
        # a. Both providers refuse connections for `--outage` seconds.
        mark = len(EMAILS), len(TEXTS)
        started = time.monotonic()
        providers.stop("model", "smtp")
        ids = post_calls(options.calls)
        time.sleep(max(0, options.outage - (time.monotonic() - started)))
        providers.start("model", "smtp")
        label = f"a. OpenAI and SMTP down {options.outage} s"
        row = run_phase(label, ids, started, time.monotonic())
        results.append((row, duplicates(*mark)))

        # b. The SMTP server holds a message; the worker is killed meanwhile.
        mark = len(EMAILS), len(TEXTS)
        started = time.monotonic()
        HOLD["held"].clear()
        HOLD["armed"] = True
        killed = []
        # Killed the moment the server holds the message, within EMAIL_TIMEOUT,
        # even while calls are still being posted.
        killer = threading.Thread(target=kill_on_hold, args=(stack, killed))
        killer.start()
        ids = post_calls(options.calls)
        killer.join()
        if not killed:
            raise SystemExit("no email reached the SMTP server in phase b")
        row = run_phase("b. worker SIGKILLed mid-send", ids, started, killed[0])
        results.append((row, duplicates(*mark)))

        # c. A long outage on a scaled clock: worker and beat restarted with the
        #    retry settings divided by `--scale`.
        scaled = {
            "ANALYSIS_RETRY_FIRST_SECONDS": str(max(1, 30 // options.scale)),
            "ANALYSIS_RETRY_CEILING_SECONDS": str(3600 // options.scale),
            "NOTIFICATIONS_RETRY_FIRST_SECONDS": str(max(1, 30 // options.scale)),
            "NOTIFICATIONS_RETRY_CEILING_SECONDS": str(3600 // options.scale),
        }
        stack.kill("worker")
        stack.kill("beat")
        stack.worker(scaled)
        stack.beat(scaled)
        mark = len(EMAILS), len(TEXTS)
        started = time.monotonic()
        providers.stop("model", "smtp")
        ids = post_calls(options.calls)
        time.sleep(max(0, 3600 // options.scale - (time.monotonic() - started)))
        providers.start("model", "smtp")
        label = f"c. 1 h outage at 1/{options.scale} ({3600 // options.scale} s)"
        row = run_phase(label, ids, started, time.monotonic())
        results.append((row, duplicates(*mark)))
    finally:
        stack.stop_all()
    report(results)


def report(results):
    head = ["phase", "calls", "analysed", "emails", "texts", "sent", "failed"]
    head += ["not sent", "dup emails", "dup texts", "most tries", "min in all"]
    head += ["min after"]
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    ok = True
    for row, (dup_emails, dup_texts) in results:
        cells = [row[key] for key in ("phase", "calls", "analysed", "emails", "texts")]
        cells += [row["sent"], row["failed"], row["stuck"], dup_emails, dup_texts]
        cells += [row["tries"]]
        lines.append(
            " | ".join(
                map(str, [*cells, f"{row['minutes']:.1f}", f"{row['after']:.1f}"])
            )
        )
        ok = ok and row["analysed"] == row["calls"] and not row["stuck"]
    lines.append("every analysis done, every email and text sent" if ok else "NOT DONE")
    sys.stdout.write("\n".join(lines) + "\n")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
