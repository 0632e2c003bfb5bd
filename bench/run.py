"""VoiceHive's load benchmark: gunicorn on PostgreSQL, 20 concurrent clients, one run.

    .venv/bin/python bench/run.py [--seconds 20] [--workers 4] ...   (or: make bench)

Resets its own database (BENCH_DATABASE_URL), seeds the demo studio among many
tenants with weeks of history, starts gunicorn on a free loopback port, warms up,
then measures the baseline and each webhook scenario in turn and prints a table.
Results go to bench/results/latest.json. gunicorn is always stopped. See README.md.
"""

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(
    0, str(ROOT)
)  # run as a script: bench/ is on the path, the project isn't

from bench.instruments import say  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/voicehive_bench"
RESULTS = ROOT / "bench" / "results"
WEBHOOK_SECRET = "bench-webhook-secret"
# scenario: (p99 ms at most, share of baseline throughput at least). The tool
# calls' are the webhook issue's (#15), which replaced the first ones (100 ms, 50%).
TARGETS = {
    "check_availability": (120, 0.25),
    "book_appointment": (120, 0.25),
    "end-of-call-report": (250, None),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--seconds", type=float, default=20, help="measured seconds per scenario")
    add("--warmup", type=float, default=3, help="unmeasured seconds before each")
    add("--max-requests", type=int, default=50000, help="cap per scenario")
    add("--concurrency", type=int, default=20)
    add("--workers", type=int, default=5, help="gunicorn worker processes")
    add("--worker-class", default="sync", help="gunicorn worker class")
    add("--threads", type=int, default=1, help="threads per worker (gthread)")
    add("--tenants", type=int, default=50, help="businesses, the demo included")
    add("--leads", type=int, default=100, help="leads per tenant")
    add("--calls", type=int, default=400, help="past calls per tenant")
    add("--live-calls", type=int, default=18000, help="calls in progress, all tenants")
    add("--only", nargs="*", help="scenarios to run (the baseline always runs)")
    add(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="first wait up to this long for the machine to be idle (<20%% busy)",
    )
    add(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="afterwards, profile N requests of each scenario in process",
    )
    return parser.parse_args(argv)


def bench_environment(database_url: str) -> dict[str, str]:
    """Production settings, except what only a benchmark should have."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
        "VAPI_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "VAPI_HMAC_SECRET": "",
        "VAPI_SERVER_URL": "https://voicehive.example.com/api/v1/vapi/webhook/",
        # No broker round trips in the measurement; nothing on these paths enqueues.
        "CELERY_BROKER_URL": "memory://",
        # Production reconnects every 60 s; in a measurement that is a new backend
        # process mid-run, so connections live for the whole run instead.
        "CONN_MAX_AGE": "3600",
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
    }


def reset_database(database_url: str) -> None:
    """Drop and create the bench database (and only it)."""
    import psycopg

    base, _, name = database_url.rpartition("/")
    if not name.startswith(("voicehive_bench", "vh_bench")):
        sys.exit(f"Refusing to reset {name!r}: the bench database must be *_bench*.")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def fresh_django(database_url: str, **overrides: str) -> None:
    """Drop and create the bench database, set the bench environment (with
    `overrides`) in this process, set Django up and migrate."""
    reset_database(database_url)
    os.environ.update(bench_environment(database_url) | overrides)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def first_line():
    """The first VAPI number (the seeded demo studio's) and the names of its
    business's active services."""
    from apps.appointments.models import Service
    from apps.businesses.models import VapiPhoneNumber

    line = VapiPhoneNumber.objects.select_related("business").order_by("pk").first()
    services = Service.objects.filter(business=line.business, is_active=True)
    return line, list(services.order_by("name").values_list("name", flat=True))


def prepare(args: argparse.Namespace, rng: random.Random):
    """Migrate and seed in this process; plan the bookings while the DB is quiet."""
    import logging

    import django

    django.setup()
    # The load client's own request log would cost it CPU on every request.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from django.core.management import call_command
    from django.db import connection

    from bench import scenarios, seed

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    tenants = seed.seed_volume(
        tenants=args.tenants, leads=args.leads, calls=args.calls,
        live_calls=args.live_calls, rng=rng,
    )  # fmt: skip
    bookings = scenarios.plan_bookings(tenants, args.max_requests, rng)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    say(f"Seeded and planned in {time.perf_counter() - started:.0f}s: {_volume()}")
    connection.close()
    return tenants, bookings


def _volume() -> str:
    from apps.appointments.models import Appointment
    from apps.businesses.models import Business
    from apps.calls.models import Call, ToolInvocation, WebhookEvent
    from apps.leads.models import Lead

    models = [Business, Lead, Call, WebhookEvent, ToolInvocation, Appointment]
    return ", ".join(
        f"{m.objects.count()} {m._meta.verbose_name_plural}" for m in models
    )


class Gunicorn:
    """gunicorn in its own process group on a free loopback port; always stopped on exit."""

    def __init__(
        self,
        args: argparse.Namespace,
        env: dict[str, str],
        *,
        record_collector_pauses: bool = False,
    ):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [
            str(Path(sys.executable).with_name("gunicorn")), "voicehive.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(args.workers),
            "--worker-class", args.worker_class, "--threads", str(args.threads),
            "--timeout", "30", "--access-logfile", str(RESULTS / "access.log"),
            "--error-logfile", str(RESULTS / "gunicorn.log"),
        ]  # fmt: skip
        if record_collector_pauses:  # bench/gunicorn_hooks.py: read by the ramp
            self.command += ["--config", str(ROOT / "bench" / "gunicorn_hooks.py")]
        self.env = os.environ | env
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=open(RESULTS / "app.log", "w"),  # noqa: SIM115
        )  # fmt: skip
        self._wait_until_up()
        return self

    def __exit__(self, *exc) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def pids(self) -> list[int]:
        """gunicorn's processes (its process group) and the bench database's backends."""
        group = self.process.pid
        workers = []
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat") as stat:
                    fields = stat.read().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[2]) == group:  # the process group id
                workers.append(int(entry.name))
        return workers + database_backends(self.env["DATABASE_URL"])

    def _wait_until_up(self) -> None:
        import httpx

        deadline = time.monotonic() + 90  # a busy machine boots slowly
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {RESULTS / 'gunicorn.log'}")
            try:
                httpx.get(f"{self.url}/bench/baseline/", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer within 90 s")


def database_backends(database_url: str) -> list[int]:
    import psycopg

    base, _, name = database_url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]
        ).fetchall()
    return [pid for (pid,) in rows]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch_assistants(url: str, tenants, templates: dict[int, bytes]) -> dict[int, dict]:
    """Each tenant's real assistant, from one assistant-request each (also a warm-up)."""
    import uuid

    import httpx

    from bench import scenarios
    from bench.load import HEADERS

    assistants = {}
    headers = HEADERS | {"Authorization": f"Bearer {WEBHOOK_SECRET}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for tenant in tenants:
            body = scenarios.stamp(
                templates[tenant.business_id],
                **{scenarios.CALL: str(uuid.uuid4()), scenarios.CALLER: "+15125550187"},
                **{f'"{scenarios.TIMESTAMP}"': scenarios.now_ms()},
            )
            response = client.post(scenarios.WEBHOOK_PATH, content=body)
            response.raise_for_status()
            assistants[tenant.business_id] = response.json()["assistant"]
    return assistants


def build_scenarios(tenants, bookings, assistants, rng: random.Random) -> list:
    """Every scenario, the baseline first and the floors last; live calls are split
    three ways between the webhook scenarios (the floors reuse check_availability's)."""
    from bench import scenarios as s

    by_id = {t.business_id: t for t in tenants}
    booking_calls = {t.business_id: [] for t in tenants}
    for call in _live_calls(tenants, 1, rng):
        booking_calls[call.tenant.business_id].append(call)
    return [
        s.Baseline(tenants, rng),
        s.CheckAvailability(
            _templates(by_id, assistants, s.tool_template, "check_availability"),
            iter(_live_calls(tenants, 0, rng)),
            rng,
        ),
        s.BookAppointment(
            _templates(by_id, assistants, s.tool_template, "book_appointment"),
            {business: iter(calls) for business, calls in booking_calls.items()},
            bookings,
        ),
        s.AssistantRequest(
            tenants,
            {i: s.assistant_request_template(t) for i, t in by_id.items()},
            rng,
        ),
        s.EndOfCallReport(
            _templates(by_id, assistants, s.end_of_call_template),
            iter(_live_calls(tenants, 2, rng)),
        ),
        *(
            s.ToolCallFloor(
                f"floor-{kind}",
                f"/bench/floor/{kind}/",
                _templates(by_id, assistants, s.tool_template, "check_availability"),
                iter(_live_calls(tenants, 0, rng)),
                rng,
            )
            for kind in ("orm", "sql")
        ),
    ]


def _templates(by_id, assistants, build, *args) -> dict[int, bytes]:
    return {i: build(by_id[i], assistant, *args) for i, assistant in assistants.items()}


def _live_calls(tenants, part: int, rng: random.Random) -> list:
    from bench.scenarios import LiveCall

    calls = [
        LiveCall(tenant, call_id, caller)
        for tenant in tenants
        for call_id, caller in tenant.live_calls[part::3]
    ]
    rng.shuffle(calls)
    return calls


async def measure(
    server: "Gunicorn", scenarios: list, args: argparse.Namespace
) -> list:
    from bench import load

    auth = {"Authorization": f"Bearer {WEBHOOK_SECRET}"}
    url = server.url
    results = []
    for scenario in scenarios:
        options = {
            "concurrency": args.concurrency,
            "auth": auth,
            "bench_pids": server.pids,
        }
        await load.run(
            url, scenario, seconds=args.warmup, max_requests=10**9, **options
        )
        result = await load.run(
            url,
            scenario,
            seconds=args.seconds,
            max_requests=args.max_requests,
            **options,
        )
        results.append(result)
        say(f"  {scenario.name}: {result.requests} requests, p99 {result.p99_ms} ms")
    return results


def report(results: list, args: argparse.Namespace, machine: dict) -> dict:
    baseline = results[0].throughput or 1
    header = (
        f"{'scenario':<20} {'requests':>8} {'errors':>6} {'taken':>5} {'req/s':>7} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'% base':>6} {'client':>6} {'machine':>7} "
        f"{'other':>5}"
    )
    say("\n" + header + "\n" + "-" * len(header))
    rows = []
    for r in results:
        share = r.throughput / baseline
        say(
            f"{r.scenario:<20} {r.requests:>8} {r.errors:>6} {r.taken:>5} "
            f"{r.throughput:>7.1f} {r.p50_ms:>7.1f} {r.p99_ms:>7.1f} {share:>6.0%} "
            f"{r.client_cpu:>6.0%} {r.machine_cpu:>7.0%} {r.other_cpu:>5.0%}"
            + ("  (ran out of distinct requests)" if r.exhausted else "")
        )
        rows.append(r.as_dict() | {"share_of_baseline": round(share, 3)})
    verdicts = _verdicts(rows)
    for line in verdicts:
        say(line)
    return {
        "machine": machine,
        "config": vars(args),
        "results": rows,
        "targets": verdicts,
    }


def _verdicts(rows: list[dict]) -> list[str]:
    lines = []
    for row in rows:
        target = TARGETS.get(row["scenario"])
        if target is None:
            continue
        p99_max, share_min = target
        misses = []
        if row["p99_ms"] > p99_max:
            misses.append(f"p99 {row['p99_ms']} ms > {p99_max} ms")
        if share_min and row["share_of_baseline"] < share_min:
            misses.append(
                f"{row['share_of_baseline']:.0%} of baseline < {share_min:.0%}"
            )
        verdict = "MISSED: " + "; ".join(misses) if misses else "met"
        lines.append(f"target {row['scenario']}: {verdict}")
    return lines


def profile_all(chosen: list, requests: int) -> None:
    """cProfile and SQL of each scenario, in process; also saved to results/profile.txt."""
    from bench.profiling import profile_scenario

    reports = [
        profile_scenario(
            scenario,
            requests=requests,
            auth=f"Bearer {WEBHOOK_SECRET}",
            save_to=RESULTS,
        )
        for scenario in chosen
    ]
    (RESULTS / "profile.txt").write_text("\n\n".join(reports))
    say("\n\n".join(reports))


def wait_for_quiet(limit: float) -> None:
    """Wait (at most `limit` seconds) for 5 quiet seconds: other work skews the figures."""
    from bench.load import machine_busy

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        busy = machine_busy(5)
        if busy < 0.2:
            return
        say(f"Machine {busy:.0%} busy with other work; waiting...")
    say("Still busy; measuring anyway (see the 'other' column).")


def postgres_version(database_url: str) -> str:
    import psycopg

    base = database_url.rpartition("/")[0]
    with psycopg.connect(f"{base}/postgres") as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


def machine_info() -> dict:
    with open("/proc/cpuinfo") as cpuinfo:
        models = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo
            if line.startswith("model name")
        ]
    with open("/proc/meminfo") as meminfo:
        memory_kb = int(meminfo.readline().split()[1])
    return {
        "cpus": os.cpu_count(), "cpu_model": models[0] if models else platform.processor(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1), "python": platform.python_version(),
        "load_average_before": os.getloadavg(), "kernel": platform.release(),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = random.Random(20260317)
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    env = bench_environment(database_url)
    os.environ.update(env)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "access.log").unlink(missing_ok=True)  # gunicorn appends: one run's only
    machine = machine_info() | {"postgres": postgres_version(database_url)}
    say(f"Resetting {database_url} and seeding ({args.tenants} tenants)...")
    reset_database(database_url)
    tenants, bookings = prepare(args, rng)
    from bench import scenarios as s

    if args.wait_quiet:
        wait_for_quiet(args.wait_quiet)
    with Gunicorn(args, env) as server:
        say(f"gunicorn: {' '.join(server.command[1:11])} (pid {server.process.pid})")
        request_templates = {
            t.business_id: s.assistant_request_template(t) for t in tenants
        }
        assistants = fetch_assistants(server.url, tenants, request_templates)
        chosen = build_scenarios(tenants, bookings, assistants, rng)
        if args.only:
            chosen = [c for c in chosen if c.name == "baseline" or c.name in args.only]
        results = asyncio.run(measure(server, chosen, args))
    summary = report(results, args, machine)
    if args.profile:
        profile_all(chosen, args.profile)
    (RESULTS / "latest.json").write_text(json.dumps(summary, indent=2, default=str))
    say(f"Wrote {RESULTS / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
