"""Outside calendars and availability: queries and time as busy events grow, and
what Roxy's just-in-time calendar check costs a caller.

Resets its own PostgreSQL database (BENCH_CALENDAR_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/voicehive_bench_calendar), seeds the demo
studio, connects a provider to a calendar, then for 0 to 10,000 stored busy
events asks for two weeks of a service's slots (what check_availability does)
and prints queries and the median time. Then starts Radicale on loopback and times
`outside_busy_intervals` (the check before each booking) against it, and against a
port where nothing answers (the fail-open path).

    .venv/bin/python bench/calendar_availability.py [--repeat 15]
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import fresh_django, say  # noqa: E402

SIZES = [0, 100, 1_000, 10_000]


def timed(func, repeat: int) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            func()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(queries.captured_queries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    database_url = os.environ.get(
        "BENCH_CALENDAR_DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/voicehive_bench_calendar",
    )
    fresh_django(database_url)
    from django.db import connection

    from apps.appointments import availability
    from apps.calendars import services
    from apps.calendars.models import BusyBlock, CalendarConnection, ConnectedCalendar
    from apps.demo import services as demo_services

    business = demo_services.seed_demo_business(password="bench-pass").business
    service = business.services.order_by("duration_minutes").first()
    provider = service.providers.first()
    conn = CalendarConnection.objects.create(
        business=business, provider=provider, kind="caldav", status="active"
    )
    calendar = ConnectedCalendar.objects.create(
        connection=conn, remote_id="/bench/", blocks_time=True
    )
    today = business.local_now().date()
    start = dt.datetime.combine(today, dt.time(9), business.tzinfo)

    def ask():
        availability.Schedule(service).free_slots(today, today + dt.timedelta(days=14))

    say("busy events stored | queries | median ms (two weeks of slots)")
    for size in SIZES:
        BusyBlock.objects.filter(calendar=calendar).delete()
        BusyBlock.objects.bulk_create(
            (
                BusyBlock(
                    calendar=calendar,
                    business=business,
                    provider=provider,
                    remote_id=f"e{i}",
                    # Spread over the sync window (120 days), short events.
                    starts_at=start + dt.timedelta(minutes=17 * i),
                    ends_at=start + dt.timedelta(minutes=17 * i + 10),
                )
                for i in range(size)
            ),
            batch_size=2000,
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE calendars_busyblock")
        median, queries = timed(ask, args.repeat)
        say(f"{size:>6} | {queries} | {median:.1f}")

    from tests.calendars.radicale import PASSWORD, USER, RadicaleServer

    folder = Path(tempfile.mkdtemp(prefix="voicehive-radicale-"))
    server = RadicaleServer(folder).start()
    try:
        url = server.make_calendar("bench")
        for i in range(50):
            moment = start + dt.timedelta(days=i, hours=2)
            stamp = moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            end = (moment + dt.timedelta(hours=1)).astimezone(dt.UTC)
            from tests.calendars.radicale import vevent

            server.put_event(
                url, vevent(f"b{i}", stamp, end.strftime("%Y%m%dT%H%M%SZ"))
            )
        conn.server_url, conn.account = server.url, USER
        conn.save()
        conn.store_credentials({"password": PASSWORD})
        calendar.remote_id = url
        calendar.save()
        slot = (start + dt.timedelta(hours=3), start + dt.timedelta(hours=4))

        def check():
            services.outside_busy_intervals(provider, *slot)

        median, queries = timed(check, args.repeat)
        say(f"just-in-time check, Radicale on loopback (50 events): {median:.1f} ms")
        conn.server_url = calendar.remote_id = "http://127.0.0.1:9/"
        conn.save()
        calendar.save()
        median, _ = timed(check, args.repeat)
        say(f"just-in-time check, server refusing connections: {median:.1f} ms")
        CalendarConnection.objects.update(status="disconnected")
        median, queries = timed(check, args.repeat)
        say(
            f"just-in-time check, no calendar connected: {median:.2f} ms, {queries} query"
        )
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
