"""Syncing 10,000 calendar connections: bounded work per beat.

Resets its own PostgreSQL database (BENCH_CALENDAR_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/voicehive_bench_calendar), creates N
connections (default 10,000) all due, and runs the beat (`sync_due`) until none is
due, with the broker in memory: time and queries per beat, beats needed. Then
applies one provider's sync page of 200 events (a fake adapter, no network) to
time the database side of one connection's sync.

    .venv/bin/python bench/calendar_sync.py [--connections 10000]
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import fresh_django, say  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=10_000)
    args = parser.parse_args(argv)
    database_url = os.environ.get(
        "BENCH_CALENDAR_DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/voicehive_bench_calendar",
    )
    fresh_django(database_url)
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.calendars import providers, sync
    from apps.calendars.models import BusyBlock, CalendarConnection, ConnectedCalendar
    from apps.calendars.providers.base import RemoteEvent, SyncPage
    from apps.demo import services as demo_services
    from tests.calendars.fakes import FakeAdapter

    business = demo_services.seed_demo_business(password="bench-pass").business
    CalendarConnection.objects.bulk_create(
        (
            CalendarConnection(business=business, kind="caldav", status="active")
            for _ in range(args.connections)
        ),
        batch_size=2000,
    )
    beats, times, queries = 0, [], 0
    while True:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            counts = sync.sync_due()
            times.append((time.perf_counter() - started) * 1000)
        if not counts["due"]:
            break
        beats += 1
        queries = max(queries, len(captured.captured_queries))
    say(
        f"{args.connections} connections due, batch {settings.CALENDAR_SYNC_BATCH_SIZE}: "
        f"{beats} beats; per beat median {statistics.median(times[:-1]):.0f} ms, "
        f"at most {queries} queries"
    )

    fake = FakeAdapter()
    providers.override("caldav", fake)
    conn = CalendarConnection.objects.first()
    ConnectedCalendar.objects.create(connection=conn, remote_id="/b/", blocks_time=True)
    now = dt.datetime.now(dt.UTC)
    events = [
        RemoteEvent(
            remote_id=f"e{i}",
            starts_at=now + dt.timedelta(hours=7 * i),
            ends_at=now + dt.timedelta(hours=7 * i + 1),
        )
        for i in range(200)
    ]
    runs = []
    for full in (True, False, False, False, False):
        fake.pages = [
            SyncPage(
                events=events if full else events[:5], full=full, next_sync_token="t"
            )
        ]
        started = time.perf_counter()
        sync.sync_connection(conn.pk)
        runs.append((time.perf_counter() - started) * 1000)
    say(
        f"one connection's sync, database side: first (200 events) {runs[0]:.0f} ms, "
        f"incremental (5 changed) median {statistics.median(runs[1:]):.0f} ms; "
        f"{BusyBlock.objects.count()} blocks stored"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
