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
import gc
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

from bench import instruments  # noqa: E402
from bench.run import first_line, fresh_django  # noqa: E402

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
    parser.add_argument(
        "--sql",
        action="store_true",
        help="print the statements of one message of each type",
    )
    parser.add_argument(
        "--profile",
        metavar="LINES",
        type=int,
        default=0,
        help="profile every message (cProfile, summed per message type) and print "
        "the LINES hottest functions of each type by cumulative time; the stats "
        "are saved as bench/results/call-<type>.prof",
    )
    parser.add_argument(
        "--gc-unfrozen",
        action="store_true",
        help="leave everything loaded inside the garbage collector's reach (the "
        "state before voicehive/wsgi.py froze it), to compare",
    )
    args = parser.parse_args()
    _setup(args.database_url)
    import voicehive.wsgi  # noqa: F401 (loads and freezes as gunicorn's workers do)

    if args.gc_unfrozen:
        gc.unfreeze()
    figures = play_calls(
        args.calls,
        args.conversation_updates,
        ROW_BYTES,
        variants=["fast", "full"]
        if args.middleware == "compare"
        else [args.middleware],
        count_functions=args.count_functions or bool(args.profile),
    )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    profiles = figures.pop("profiles")
    statements = figures.pop("statements")
    (out / f"call-{args.middleware}.json").write_text(
        json.dumps(figures, indent=2, default=str)
    )
    _print(figures)
    if args.sql:
        for kind, sqls in sorted(statements.items()):
            instruments.say(f"\n=== {kind}: {len(sqls)} statements ===")
            for sql in sqls:
                instruments.say("  " + " ".join(sql.split())[:200])
    if args.profile:
        instruments.print_profiles(profiles, args.profile, out)
    return 0


def _setup(database_url: str) -> None:
    started = time.monotonic()
    # In process: no TLS proxy in front, so no redirect to HTTPS.
    fresh_django(
        database_url,
        VAPI_WEBHOOK_SECRET=SECRET,
        LOG_LEVEL="WARNING",
        SECURE_SSL_REDIRECT="false",
    )
    from django.core.management import call_command

    call_command("seed_demo", "--password", "bench-only-password-1", verbosity=0)
    sys.stderr.write(f"database ready in {time.monotonic() - started:.0f} s\n")


def _print(figures: dict) -> None:
    per_call = figures["per_call"]
    instruments.say(f"\n{figures['calls']} calls ({figures['conversation_updates']})")
    for key, value in per_call.items():
        instruments.say(f"  {key:<40} {value}")
    instruments.say(
        "\n  by message type: CPU ms web / database (mean), statements (median), "
        "wall p50 / p90 ms (one caller; idle machine only), garbage collector ms "
        "(mean)"
    )
    for kind, row in sorted(figures["by_type"].items()):
        instruments.say(
            f"  {kind:<34} {row['web_cpu_ms']:>6} / {row['db_cpu_ms']:>5}  "
            f"{row['statements']:>4}  {row['p50_ms']:>6} / {row['p90_ms']:>6}"
            f"  (n={row['n']})  gc {row['gc_ms']}"
            + (f"  {row['functions']} calls" if "functions" in row else "")
        )


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

    from apps.vapi import simulation
    from apps.vapi.simulation.payloads import conversation_update

    line, names = first_line()
    transports = {variant: _transport(variant) for variant in variants}
    samples = {
        key: defaultdict(list) for key in ("wall", "web", "db", "gc", "functions")
    }
    collector = instruments.CollectorClock()
    profiles: dict[str, pstats.Stats] = {}
    sql_of: dict[str, list[str]] = {}
    statements: dict[str, list[int]] = defaultdict(list)
    calls = []
    backend = instruments.backend_pid(connection)

    class Timed:
        """Times every message; sends conversation-updates as `mode` says."""

        simulator = None
        turns_sent = 0

        def __init__(self, variant: str):
            self.variant = variant
            self.inner = transports[variant]

        def post(self, body: bytes):
            message = json.loads(body)["message"]
            kind = message["type"]
            if kind == "conversation-update" and mode != "simulated":
                return simulation.Reply(200, {})  # replaced (per-turn) or dropped
            if mode == "per-turn" and kind not in ("assistant-request",):
                self._per_turn()
            if kind == "tool-calls":
                tools = [c["function"]["name"] for c in message["toolCallList"]]
                kind = f"tool-calls: {'+'.join(tools)}"
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
            queries = instruments.QueryLog()
            profile = cProfile.Profile() if count_functions else None
            db_before = instruments.backend_cpu_ns(backend)
            gc_before = collector.ms
            with connection.execute_wrapper(queries):
                cpu_started = time.process_time()
                started = time.perf_counter()
                if profile:
                    profile.enable()
                reply = self.inner.post(body)
                if profile:
                    profile.disable()
                elapsed = (time.perf_counter() - started) * 1000
                web_ms = (time.process_time() - cpu_started) * 1000
            db_ms = (instruments.backend_cpu_ns(backend) - db_before) / 1e6
            gc_ms = collector.ms - gc_before
            for key, value in (
                ("wall", elapsed),
                ("web", web_ms),
                ("db", db_ms),
                ("gc", gc_ms),
            ):
                samples[key][kind].append(value)
            if profile:
                samples["functions"][kind].append(pstats.Stats(profile).total_calls)
                if kind in profiles:
                    profiles[kind].add(profile)
                else:
                    profiles[kind] = pstats.Stats(profile)
            statements[kind].append(len(queries.entries))
            sql_of.setdefault(kind, [q["sql"] for q in queries.entries])
            call = calls[-1]
            call["messages"] += 1
            call["web_ms"] += web_ms
            call["db_ms"] += db_ms
            call["statements"] += len(queries.entries)
            if kind.startswith("tool-calls"):
                call["tool_ms"].append(elapsed)
            return reply

    for n in range(-WARMUP_CALLS, count):
        if n == 0:  # the warm-up calls (imports, first queries) are not counted
            calls.clear()
            statements.clear()
            collector.reset()
            profiles.clear()
            sql_of.clear()
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

    by_type = instruments.summarise(samples["wall"])
    for kind, counts in statements.items():
        by_type[kind]["statements"] = round(statistics.median(counts))
        by_type[kind]["web_cpu_ms"] = instruments.mean(samples["web"][kind], 2)
        by_type[kind]["db_cpu_ms"] = instruments.mean(samples["db"][kind], 2)
        by_type[kind]["gc_ms"] = instruments.mean(samples["gc"][kind], 2)
        if count_functions:
            by_type[kind]["functions"] = round(
                statistics.median(samples["functions"][kind])
            )
    per_call = {
        "messages received": instruments.mean(c["messages"] for c in calls),
        "server CPU ms: web": instruments.mean(c["web_ms"] for c in calls),
        "server CPU ms: database": instruments.mean(c["db_ms"] for c in calls),
        "statements": instruments.mean(c["statements"] for c in calls),
        "tool-call ms as the caller hears it, p50": round(
            statistics.median(t for c in calls for t in c["tool_ms"]), 2
        ),
        "calls answered as expected": sum(c["ok"] for c in calls),
        "garbage collector ms (in the web CPU)": round(
            sum(map(sum, samples["gc"].values())) / max(len(calls), 1), 1
        ),
        "full collections during the run": collector.full,
    }
    for label in row_bytes:
        per_call[f"bytes stored: {label}"] = instruments.mean(
            c[f"bytes: {label}"] for c in calls
        )
    per_call["bytes stored: total"] = round(
        sum(per_call[f"bytes stored: {label}"] for label in row_bytes)
    )
    collector.close()
    return {
        "calls": count,
        "conversation_updates": mode,
        "middleware": variants,
        "per_call": per_call,
        "by_type": by_type,
        "profiles": profiles,
        "statements": sql_of,
    }


if __name__ == "__main__":
    sys.exit(main())
