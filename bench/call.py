"""The cost of whole calls: play realistic calls through the webhook, one at a time.

    .venv/bin/python bench/call.py [--calls 30] [--database-url postgres://.../voicehive_bench_call]
    .venv/bin/python bench/call.py --middleware compare  # fast path against the full stack
    .venv/bin/python bench/call_ramp.py                  # simultaneous calls at tool p99 < 100 ms

Where `make bench` loads the server with one message type at a time, this plays
whole calls the way VAPI sends them (apps.vapi.simulation: assistant-request, status
updates, tool calls, the end-of-call report; conversation-updates only if asked,
since Roxy no longer subscribes to them), in process through the real URL,
credentials and middleware, on PostgreSQL (recreated: the name must contain
"bench"). Per call and per message type it reports the messages received, the
server CPU spent on them (the web process's CPU time, time.process_time, and the
PostgreSQL backend's, from /proc/<pid>/schedstat: nanosecond CPU counters, so a
busy machine slows them down but does not inflate them as it does wall time),
the statements run, the bytes the rows of the call take in the database
(pg_column_size of every row the call wrote), and the wall-clock p50 (only
meaningful on an idle machine). With --conversation-updates per-turn every turn
also sends one (VAPI's pacing when an assistant subscribes to them), to price
that subscription.

Figures go to stdout and bench/results/call-<middleware>.json.
"""

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/voicehive_bench_call"
SECRET = "bench-call-webhook-secret"
FAST_PATH = "VapiWebhookFastPath"
WARMUP_CALLS = 2

# Bytes of the rows one call leaves behind, by table (the call's own rows only).
ROW_BYTES = {
    "webhook events": "SELECT coalesce(sum(pg_column_size(e.*)), 0) FROM "
    "calls_webhookevent e WHERE e.vapi_call_id = %s",
    "tool invocations": "SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM "
    "calls_toolinvocation t JOIN calls_call c ON c.id = t.call_id "
    "WHERE c.vapi_call_id = %s",
    "the call": "SELECT coalesce(sum(pg_column_size(c.*)), 0) FROM calls_call c "
    "WHERE c.vapi_call_id = %s",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument(
        "--conversation-updates",
        choices=["simulated", "per-turn", "none"],
        default="none",
        help="none (Roxy's subscription today), as the simulator sends them (two a "
        "call), or one per turn",
    )
    parser.add_argument(
        "--middleware",
        choices=["fast", "full", "compare"],
        default="fast",
        help="the webhook's own short stack (fast), the staff pages' full stack "
        "(the old path), or both, alternating call by call (compare: the same "
        "machine noise falls on both)",
    )
    parser.add_argument(
        "--count-functions",
        action="store_true",
        help="also count Python function calls per message (cProfile): a figure "
        "that does not move with the machine's load; slows the run down",
    )
    args = parser.parse_args()
    _setup(args.database_url)
    figures = play_calls(
        args.calls,
        args.conversation_updates,
        ROW_BYTES,
        variants=["fast", "full"]
        if args.middleware == "compare"
        else [args.middleware],
        count_functions=args.count_functions,
    )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"call-{args.middleware}.json").write_text(
        json.dumps(figures, indent=2, default=str)
    )
    _print(figures)
    return 0


def _setup(database_url: str) -> None:
    import psycopg

    base, _, name = database_url.rpartition("/")
    if "bench" not in name:
        sys.exit(f"Refusing to reset {name!r}: the bench database must be *bench*.")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "voicehive.settings",
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
            "VAPI_WEBHOOK_SECRET": SECRET,
            "VAPI_HMAC_SECRET": "",
            "CELERY_BROKER_URL": "memory://",
            "LOG_LEVEL": "WARNING",
            "SECURE_SSL_REDIRECT": "false",
        }
    )
    import django
    from django.core.management import call_command

    django.setup()
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--password", "bench-only-password-1", verbosity=0)
    sys.stderr.write(f"database ready in {time.monotonic() - started:.0f} s\n")


def say(text: str) -> None:
    sys.stdout.write(text + "\n")


def _print(figures: dict) -> None:
    per_call = figures["per_call"]
    say(f"\n{figures['calls']} calls ({figures['conversation_updates']})")
    for key, value in per_call.items():
        say(f"  {key:<40} {value}")
    say(
        "\n  by message type: CPU ms web / database (mean), statements (median), "
        "wall p50 / p90 ms (one caller; idle machine only)"
    )
    for kind, row in sorted(figures["by_type"].items()):
        say(
            f"  {kind:<24} {row['web_cpu_ms']:>6} / {row['db_cpu_ms']:>5}  "
            f"{row['statements']:>4}  {row['p50_ms']:>6} / {row['p90_ms']:>6}"
            f"  (n={row['n']})"
            + (f"  {row['functions']} calls" if "functions" in row else "")
        )


def summarise(times: dict[str, list[float]]) -> dict[str, dict]:
    rows = {}
    for kind, values in times.items():
        ordered = sorted(values)
        rows[kind] = {
            "n": len(values),
            "p50_ms": round(statistics.median(ordered), 2),
            "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 2),
        }
    return rows


def _transport(variant: str):
    """The in-process webhook client, through the fast path or the full stack."""
    from django.conf import settings
    from django.test import override_settings

    from apps.vapi import simulation

    transport = simulation.InProcessTransport(
        simulation.WebhookCredential("bearer", SECRET)
    )
    stack = settings.MIDDLEWARE
    if variant == "full":
        stack = [name for name in stack if FAST_PATH not in name]
    with override_settings(MIDDLEWARE=stack):
        transport.client.handler.load_middleware()  # fixed for this client's life
    return transport


def play_calls(
    count: int,
    mode: str,
    row_bytes: dict[str, str],
    *,
    variants: list[str],
    count_functions: bool = False,
) -> dict:
    from django.db import connection

    from apps.appointments.models import Service
    from apps.businesses.models import VapiPhoneNumber
    from apps.vapi import simulation
    from apps.vapi.simulation.payloads import conversation_update

    line = VapiPhoneNumber.objects.select_related("business").order_by("pk").first()
    services = Service.objects.filter(business=line.business, is_active=True)
    names = list(services.order_by("name").values_list("name", flat=True))
    transports = {variant: _transport(variant) for variant in variants}
    samples = {key: defaultdict(list) for key in ("wall", "web", "db", "functions")}
    statements: dict[str, list[int]] = defaultdict(list)
    calls = []
    backend = _backend_pid(connection)

    class Timed:
        """Times every message; sends conversation-updates as `mode` says."""

        simulator = None
        turns_sent = 0

        def __init__(self, variant: str):
            self.variant = variant
            self.inner = transports[variant]

        def post(self, body: bytes):
            kind = json.loads(body)["message"]["type"]
            if kind == "conversation-update" and mode != "simulated":
                return simulation.Reply(200, {})  # replaced (per-turn) or dropped
            if mode == "per-turn" and kind not in ("assistant-request",):
                self._per_turn()
            return self._send(kind, body)

        def _per_turn(self) -> None:
            sim = self.simulator
            turns = len(sim.conversation.messages)
            while self.turns_sent < turns:
                self.turns_sent += 1
                update = conversation_update(
                    sim.state, sim.conversation, at_ms=sim.clock
                )
                self._send("conversation-update", simulation.encode(update))

        def _send(self, kind: str, body: bytes):
            if len(variants) > 1:
                kind = f"{kind} [{self.variant}]"
            counter = _StatementCounter()
            profile = cProfile.Profile() if count_functions else None
            db_before = _backend_cpu_ns(backend)
            with connection.execute_wrapper(counter):
                cpu_started = time.process_time()
                started = time.perf_counter()
                if profile:
                    profile.enable()
                reply = self.inner.post(body)
                if profile:
                    profile.disable()
                elapsed = (time.perf_counter() - started) * 1000
                web_ms = (time.process_time() - cpu_started) * 1000
            db_ms = (_backend_cpu_ns(backend) - db_before) / 1e6
            for key, value in (("wall", elapsed), ("web", web_ms), ("db", db_ms)):
                samples[key][kind].append(value)
            if profile:
                samples["functions"][kind].append(pstats.Stats(profile).total_calls)
            statements[kind].append(counter.count)
            call = calls[-1]
            call["messages"] += 1
            call["web_ms"] += web_ms
            call["db_ms"] += db_ms
            call["statements"] += counter.count
            if kind.startswith("tool-calls"):
                call["tool_ms"].append(elapsed)
            return reply

    for n in range(-WARMUP_CALLS, count):
        if n == 0:  # the warm-up calls (imports, first queries) are not counted
            calls.clear()
            statements.clear()
            for kind in samples.values():
                kind.clear()
        transport = Timed(variants[n % len(variants)])
        scenario = "booking" if n % 3 else "lead"
        caller = simulation.Caller(f"+1512555{n % 10000:04d}", f"Caller Number{n}")
        simulator = simulation.CallSimulator(
            transport,
            phone_number_id=line.vapi_phone_number_id,
            phone_number=line.number,
            caller=caller,
            service=names[n % len(names)],
        )
        transport.simulator = simulator
        calls.append(
            {"messages": 0, "web_ms": 0.0, "db_ms": 0.0, "statements": 0, "tool_ms": []}
        )
        result = simulator.run(scenario)
        with connection.cursor() as cursor:
            for label, sql in row_bytes.items():
                cursor.execute(sql, [result.call_id])
                calls[-1][f"bytes: {label}"] = cursor.fetchone()[0]
        calls[-1]["ok"] = result.ok

    by_type = summarise(samples["wall"])
    for kind, counts in statements.items():
        by_type[kind]["statements"] = round(statistics.median(counts))
        by_type[kind]["web_cpu_ms"] = _mean(samples["web"][kind], 2)
        by_type[kind]["db_cpu_ms"] = _mean(samples["db"][kind], 2)
        if count_functions:
            by_type[kind]["functions"] = round(
                statistics.median(samples["functions"][kind])
            )
    per_call = {
        "messages received": _mean(c["messages"] for c in calls),
        "server CPU ms: web": _mean(c["web_ms"] for c in calls),
        "server CPU ms: database": _mean(c["db_ms"] for c in calls),
        "statements": _mean(c["statements"] for c in calls),
        "tool-call ms as the caller hears it, p50": round(
            statistics.median(t for c in calls for t in c["tool_ms"]), 2
        ),
        "calls answered as expected": sum(c["ok"] for c in calls),
    }
    for label in row_bytes:
        per_call[f"bytes stored: {label}"] = _mean(c[f"bytes: {label}"] for c in calls)
    per_call["bytes stored: total"] = round(
        sum(per_call[f"bytes stored: {label}"] for label in row_bytes)
    )
    return {
        "calls": count,
        "conversation_updates": mode,
        "middleware": variants,
        "per_call": per_call,
        "by_type": by_type,
    }


def _mean(values, digits: int = 1) -> float:
    values = list(values)
    return round(statistics.mean(values), digits) if values else 0


class _StatementCounter:
    """Counts statements without CaptureQueriesContext's SQL formatting (CPU)."""

    count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _backend_pid(connection) -> int:
    if connection.vendor != "postgresql":
        return 0  # SQLite runs inside this process: its CPU is the web side's
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _backend_cpu_ns(pid: int) -> int:
    """CPU the PostgreSQL backend has run, in ns (same machine: /proc/<pid>/schedstat)."""
    if not pid:
        return 0
    try:
        with open(f"/proc/{pid}/schedstat") as stat:
            return int(stat.read().split()[0])
    except OSError:
        return 0  # a remote database: only the web side is measured


if __name__ == "__main__":
    sys.exit(main())
