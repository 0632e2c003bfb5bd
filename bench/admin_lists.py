"""How fast the staff admin's pages render at volume.

Resets its own PostgreSQL database (BENCH_ADMIN_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/voicehive_bench_admin), seeds the demo business
with `seed_demo --leads N` (default 100,000 leads, as many calls, 20,000 visits),
then renders each list several times in process, logged in as the demo manager, and
prints the median and worst time and the query count of each. Results go to
bench/results/admin_lists.json.

    .venv/bin/python bench/admin_lists.py [--leads 100000] [--repeat 7]
"""

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import fresh_django, say  # noqa: E402

LAST_WEEK = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=7)).isoformat()
PAGES = [
    ("leads", "/admin/leads/lead/"),
    ("leads, search by phone", "/admin/leads/lead/?q=(737)+200-4242"),
    ("leads, search by name", "/admin/leads/lead/?q=Garcia"),
    ("leads, hot and won", "/admin/leads/lead/?status__exact=won&score_band=hot"),
    ("calls", "/admin/calls/call/"),
    ("calls, intent filter", "/admin/calls/call/?intent__exact=book"),
    ("calls, transcript search", "/admin/calls/call/?q=thanks"),  # every call
    ("calls, name search", "/admin/calls/call/?q=Garcia"),
    ("calls, number search", "/admin/calls/call/?q=4242"),
    ("call page", "/admin/calls/call/1/change/"),
    ("appointments, upcoming", "/admin/appointments/appointment/"),
    ("appointments, all", "/admin/appointments/appointment/?when=all"),
    ("notifications", "/admin/notifications/notification/"),
    ("callbacks", "/admin/leads/callbackrequest/"),
    ("dashboard", "/admin/"),
    ("calendar, day", "/admin/frontdesk/calendar/"),
    ("calendar, week", "/admin/frontdesk/calendar/?view=week"),
    # The seeded visits lie in the past, a few dozen a day: last week is a full one.
    ("calendar, a busy week", f"/admin/frontdesk/calendar/?view=week&date={LAST_WEEK}"),
    ("booking page", "/admin/frontdesk/book/"),
    ("booking, find by name", "/admin/frontdesk/book/customers/?business=1&q=Garcia"),
    (
        "booking, find by phone",
        "/admin/frontdesk/book/customers/?business=1&q=7372004242",
    ),
    ("reports, 7 days", "/admin/reports/"),
    ("reports, 90 days", "/admin/reports/?business=1&days=90"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    database_url = os.environ.get(
        "BENCH_ADMIN_DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/voicehive_bench_admin",
    )
    started = time.perf_counter()
    # The admin's pages need their static files collected, somewhere disposable.
    fresh_django(database_url, STATIC_ROOT=tempfile.mkdtemp(prefix="voicehive-static-"))
    from django.core.management import call_command
    from django.db import connection

    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("seed_demo", "--leads", str(args.leads), "--password", "bench-demo")
    # Fresh statistics, as autovacuum keeps them in production: the planner picks the
    # search indexes only when it knows how many rows a term leaves.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    say(f"Seeded in {time.perf_counter() - started:.0f} s.")
    rows = [_measure(name, url, args.repeat) for name, url in PAGES]
    _say(rows, args.leads)
    out = ROOT / "bench" / "results" / "admin_lists.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"leads": args.leads, "pages": rows}, indent=2))
    slow = [row["page"] for row in rows if row["median_ms"] >= 500]
    if slow:
        say(f"Over half a second: {', '.join(slow)}")
    return 1 if slow else 0


def _measure(name: str, url: str, repeat: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="localhost")
    client.force_login(get_user_model().objects.get(username="demo"))
    client.get(url, secure=True)  # warm caches, as a returning user would
    times, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            begun = time.perf_counter()
            response = client.get(url, secure=True)
            times.append((time.perf_counter() - begun) * 1000)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
        queries = len(captured.captured_queries)
    return {
        "page": name,
        "url": url,
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "queries": queries,
    }


def _say(rows: list[dict], leads: int) -> None:
    say(
        f"\nAdmin lists with {leads:,} leads (median and worst of the runs, in process):\n"
    )
    say(f"{'page':28} {'median ms':>10} {'worst ms':>9} {'queries':>8}")
    for row in rows:
        say(
            f"{row['page']:28} {row['median_ms']:>10} {row['max_ms']:>9} {row['queries']:>8}"
        )


if __name__ == "__main__":
    sys.exit(main())
