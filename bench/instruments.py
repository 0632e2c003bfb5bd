"""What bench/call.py measures each message with: statements, the PostgreSQL backend's
CPU, the garbage collector's time, and cProfile's own time shared out by the code
that spends it."""

import gc
import io
import math
import pstats
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

# Where own time (cProfile's tottime) is spent, by the code that spends it; the
# first matching fragment of a function's file names its share.
SHARES = (
    ("psycopg/", "database: waiting for PostgreSQL, and the driver"),
    ("django/db/models/sql/", "Django ORM: compiling SQL"),
    ("django/db/models/", "Django ORM: querysets, instances, fields"),
    ("django/db/", "Django database layer"),
    ("django/utils/translation", "translation (gettext)"),
    ("django/", "Django: request, response and the rest"),
    ("rest_framework/", "DRF"),
    ("/apps/", "VoiceHive's own code"),
    ("json/", "JSON (standard library)"),
    ("<built-in", "built-ins called from all of the above"),
    ("<method", "built-ins called from all of the above"),
)


def print_profiles(profiles: dict, lines: int, out: Path) -> None:
    """Each message type's shares, then its hottest VoiceHive code; saves the stats."""
    for kind, stats in sorted(profiles.items()):
        path = out / f"call-{kind.replace(' ', '_').replace(':', '')}.prof"
        stats.dump_stats(path)
        say(f"\n=== {kind}: {path.name} ===")
        for label, share in shares(stats):
            say(f"  {share:5.1%}  {label}")
        buffer = io.StringIO()
        stats.stream = buffer
        stats.sort_stats("cumulative").print_stats(r"/apps/", lines)
        say(buffer.getvalue().split("\n", 6)[-1])


def say(text: str) -> None:
    """A line on stdout, at once (these are command-line reports)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def shares(stats: pstats.Stats) -> list[tuple[str, float]]:
    """(label, share of all own time), largest first."""
    spent: dict[str, float] = defaultdict(float)
    for (filename, _, function), row in stats.stats.items():
        where = f"{filename}:{function}"
        label = next((name for part, name in SHARES if part in where), "other")
        spent[label] += row[2]  # own time
    total = sum(spent.values()) or 1
    return sorted(((k, v / total) for k, v in spent.items()), key=lambda kv: -kv[1])


class CollectorClock:
    """Time the garbage collector runs, and its full (oldest generation) collections."""

    def __init__(self):
        self.reset()
        self._started = 0.0
        gc.callbacks.append(self)

    def reset(self) -> None:
        self.ms = 0.0
        self.full = 0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.ms += (time.perf_counter() - self._started) * 1000
        self.full += info["generation"] == 2

    def close(self) -> None:
        gc.callbacks.remove(self)


class QueryLog:
    """Every statement a request runs, with its time: a connection.execute_wrapper
    (no CaptureQueriesContext: its SQL formatting costs CPU)."""

    def __init__(self):
        self.entries: list[dict] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.entries.append({"sql": sql, "time": time.perf_counter() - started})


def backend_pid(connection) -> int:
    if connection.vendor != "postgresql":
        return 0  # SQLite runs inside this process: its CPU is the web side's
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def backend_cpu_ns(pid: int) -> int:
    """CPU the PostgreSQL backend has run, in ns (same machine: /proc/<pid>/schedstat)."""
    if not pid:
        return 0
    try:
        with open(f"/proc/{pid}/schedstat") as stat:
            return int(stat.read().split()[0])
    except OSError:
        return 0  # a remote database: only the web side is measured


def summarise(times: dict[str, list[float]]) -> dict[str, dict]:
    rows = {}
    for kind, values in times.items():
        ordered = sorted(values)
        rows[kind] = {
            "n": len(values),
            "p50_ms": round(statistics.median(ordered), 2),
            "p90_ms": round(percentile(ordered, 0.9), 2),
        }
    return rows


def mean(values, digits: int = 1) -> float:
    values = list(values)
    return round(statistics.mean(values), digits) if values else 0
