"""How many simultaneous calls one server carries while tool calls stay under 100 ms p99.

    make bench-ramp          # or: .venv/bin/python bench/call_ramp.py [--pace 2] [--seconds 60]

Starts gunicorn as `make bench` does (production settings, 5 sync workers, its own
PostgreSQL database `voicehive_bench_ramp`, dropped and recreated), then plays whole
calls over HTTP (apps.vapi.simulation: assistant-request, status updates, tool
calls, the end-of-call report; the messages Roxy subscribes to), each caller
waiting --pace seconds between messages as a caller between turns would. After a
warm-up (every worker's first requests import code), it starts with --start
simultaneous calls and doubles them while the tool calls' p99 (as the caller hears
them: request written to answer read) stays under --target ms and no message fails,
then halves the gap between the last level that held and the first that did not
until it is within a quarter; it reports the highest level that held, and each
level's tool calls by tool and the workers' garbage-collector pauses
(bench/gunicorn_hooks.py). Each caller is a thread with its own keep-alive
connection; the client's CPU is shown, since it shares the machine. Run it on a
quiet machine: other work on the cores lowers the figure. Results: stdout and
bench/results/ramp.json.
"""

import argparse
import gc
import json
import os
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gunicorn_hooks import read_pauses  # noqa: E402
from bench.instruments import percentile  # noqa: E402
from bench.run import (  # noqa: E402
    RESULTS,
    WEBHOOK_SECRET,
    Gunicorn,
    first_line,
    fresh_django,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/voicehive_bench_ramp"
WARM_UP = argparse.Namespace(seconds=10.0, pace=0.2)


def main() -> int:
    args = _parse()
    env = {"LOG_LEVEL": "WARNING"}  # a line per message would cost the server CPU
    if args.gc_unfrozen:
        env["BENCH_GC_UNFROZEN"] = "1"
    fresh_django(args.database_url, **env)
    from django.core.management import call_command

    call_command("seed_demo", "--password", "bench-only-password-1", verbosity=0)
    line, services = first_line()
    # The client's own full collections would be timed as the server's latency.
    gc.freeze()
    RESULTS.mkdir(parents=True, exist_ok=True)
    levels = []
    with Gunicorn(args, env, record_collector_pauses=True) as server:
        url = f"{server.url}/api/v1/vapi/webhook/"
        # Every worker's first requests import code and load catalogs; measured,
        # they were the first level's whole p99 (93 ms at 5 calls, 41 at 10).
        warm = run_level(url, line, services, args.workers * 2, WARM_UP)
        sys.stdout.write(f"warm-up: {warm['messages_done']} messages, not counted\n")
        read_pauses()
        free_the_slots()
        calls, held, failed = args.start, 0, None
        while calls is not None and calls <= args.max_calls:
            level = run_level(url, line, services, calls, args)
            level["gc_pauses"] = read_pauses()
            free_the_slots()
            levels.append(level)
            _say_level(level)
            if _held(level, args.target):
                held = max(held, calls)
            else:
                failed = calls if failed is None else min(failed, calls)
            calls = next_level(calls, held, failed)
    figures = {"target_ms": args.target, "pace_s": args.pace, "levels": levels}
    figures["simultaneous_calls_held"] = held
    (RESULTS / "ramp.json").write_text(json.dumps(figures, indent=2))
    sys.stdout.write(
        f"\nsimultaneous calls with tool-call p99 under {args.target:g} ms: "
        f"{figures['simultaneous_calls_held']} (levels doubled from {args.start})\n"
    )
    return 0


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_RAMP_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument("--start", type=int, default=5, help="calls at the first level")
    parser.add_argument("--max-calls", type=int, default=2560)
    parser.add_argument("--seconds", type=float, default=60, help="per level")
    parser.add_argument("--pace", type=float, default=2.0, help="s between messages")
    parser.add_argument("--target", type=float, default=100.0, help="tool p99, ms")
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--gc-unfrozen",
        action="store_true",
        help="workers undo voicehive/wsgi.py's gc.freeze() (the state before), to compare",
    )
    return parser.parse_args()


def free_the_slots() -> int:
    """Delete the bookings made so far, so that every level books as many calls as
    the first. Measured without this, the demo studio's three weeks ran out of free
    slots by the sixth level, and that level's callers booked nothing."""
    from apps.appointments.models import Appointment

    deleted, _ = Appointment.objects.all().delete()
    return deleted


class PacedTransport:
    """HTTP to the server, waiting `pace` s before each message after the first."""

    def __init__(self, url: str, pace: float, record):
        from apps.vapi import simulation

        self.inner = simulation.HttpTransport(
            url, simulation.WebhookCredential("bearer", WEBHOOK_SECRET)
        )
        # As the TLS proxy in front of gunicorn would say (SECURE_SSL_REDIRECT).
        self.inner.client.headers["X-Forwarded-Proto"] = "https"
        self.pace, self.record, self.sent = pace, record, 0

    def post(self, body: bytes):
        if self.sent:
            time.sleep(self.pace)
        self.sent += 1
        started = time.perf_counter()
        reply = self.inner.post(body)
        self.record(body, (time.perf_counter() - started) * 1000, reply.status)
        return reply


def run_level(url: str, line, services: list[str], calls: int, args) -> dict:
    """`calls` callers, each playing calls back to back until the level's time is up."""
    from apps.vapi import simulation

    lock = threading.Lock()
    tool_ms: list[float] = []
    by_tool: dict[str, list[float]] = defaultdict(list)
    counts = {"messages": 0, "errors": 0, "calls": 0}
    deadline = time.monotonic() + args.seconds

    def record(body: bytes, ms: float, status: int) -> None:
        with lock:
            counts["messages"] += 1
            counts["errors"] += not 200 <= status < 300
            message = json.loads(body)["message"]
            if message["type"] == "tool-calls":
                tool_ms.append(ms)
                for call in message["toolCallList"]:
                    by_tool[call["function"]["name"]].append(ms)

    def caller(index: int) -> None:
        transport = PacedTransport(url, args.pace, record)
        n = 0
        while time.monotonic() < deadline:
            number = f"+1{(2000000000 + index * 10000 + n % 10000)}"
            simulator = simulation.CallSimulator(
                transport,
                phone_number_id=line.vapi_phone_number_id,
                phone_number=line.number,
                caller=simulation.Caller(number, f"Ramp Caller{index}x{n}"),
                service=services[(index + n) % len(services)],
            )
            simulator.run("booking" if n % 3 else "lead")
            with lock:
                counts["calls"] += 1
            n += 1
        transport.inner.close()

    cpu = time.process_time()
    threads = [threading.Thread(target=caller, args=(i,)) for i in range(calls)]
    for thread in threads:
        thread.start()
        time.sleep(args.pace / calls)  # spread the callers' turns over the pace
    for thread in threads:
        thread.join()
    ordered = sorted(tool_ms)
    return {
        "calls": calls,
        **{f"{key}_done": value for key, value in counts.items()},
        "errors": counts["errors"],
        "tool_calls": len(ordered),
        "tool_p50_ms": round(statistics.median(ordered), 1) if ordered else 0,
        "tool_p99_ms": round(percentile(ordered, 0.99), 1) if ordered else 0,
        "client_cpu_s": round(time.process_time() - cpu, 1),
        "by_tool": {
            name: {
                "n": len(values),
                "p50_ms": round(statistics.median(values), 1),
                "p99_ms": round(percentile(sorted(values), 0.99), 1),
                "max_ms": round(max(values), 1),
            }
            for name, values in sorted(by_tool.items())
        },
    }


def next_level(calls: int, held: int, failed: int | None) -> int | None:
    """Double until a level fails, then halve the gap between the highest level that
    held and the lowest that failed; None once that gap is within a quarter."""
    if failed is None:
        return calls * 2
    if failed - held <= max(1, held // 4):
        return None
    return (held + failed) // 2


def _held(level: dict, target: float) -> bool:
    return not level["errors"] and level["tool_p99_ms"] < target


def _say_level(level: dict) -> None:
    sys.stdout.write(
        f"{level['calls']:>5} simultaneous calls: {level['messages_done']} messages, "
        f"{level['tool_calls']} tool calls p50 {level['tool_p50_ms']} ms, "
        f"p99 {level['tool_p99_ms']} ms, {level['errors']} errors, "
        f"client CPU {level['client_cpu_s']} s\n"
    )
    pauses = level["gc_pauses"]
    sys.stdout.write(
        f"        server garbage collector: {pauses['count']} pauses of 2 ms or more "
        f"({pauses['full']} full), longest {pauses['max_ms']} ms, "
        f"{pauses['total_ms']} ms in all\n"
    )
    for name, row in level["by_tool"].items():
        sys.stdout.write(
            f"        {name:<20} n={row['n']:<5} p50 {row['p50_ms']} ms, "
            f"p99 {row['p99_ms']} ms, max {row['max_ms']} ms\n"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
