"""Where a scenario's time goes: the same requests in process, under cProfile, with their SQL.

Run by `bench/run.py --profile` after the load run, against the bench database.
Requests go through Django's test client (the full middleware and webhook stack,
no gunicorn or sockets), so the numbers are the server's own work per request.
"""

import cProfile
import io
import pstats
import time
from collections import Counter

from django.db import connection
from django.test import Client

from bench import instruments

HEADERS = {
    "HTTP_X_FORWARDED_PROTO": "https",
    "HTTP_HOST": "127.0.0.1",
}


def profile_scenario(scenario, *, requests: int, auth: str, save_to=None) -> str:
    """A text report: ms per request, queries per request, the slowest SQL, the hottest code."""
    client = Client(raise_request_exception=True)
    headers = HEADERS | {"HTTP_AUTHORIZATION": auth}
    _send(client, scenario, headers)  # imports and caches warm before measuring
    queries = instruments.QueryLog()
    with connection.execute_wrapper(queries):
        _send(client, scenario, headers)
    backend = instruments.backend_pid(connection)
    before = instruments.backend_cpu_ns(backend)
    wall, cpu, sent = _timed(client, scenario, headers, requests)
    database_cpu = (instruments.backend_cpu_ns(backend) - before) / 1e6 / max(sent, 1)
    profiler = cProfile.Profile()
    profiler.enable()
    _timed(client, scenario, headers, requests)
    profiler.disable()
    if save_to is not None:
        profiler.dump_stats(save_to / f"{scenario.name}.prof")  # for pstats or snakeviz
    lines = [
        f"== {scenario.name}: {sent} requests in process, each {wall:.1f} ms wall, "
        f"{cpu:.1f} ms CPU in Django, {database_cpu:.1f} ms CPU in its PostgreSQL backend",
        *_queries_report(queries.entries),
        *_profile_report(profiler),
    ]
    return "\n".join(lines)


def _timed(client, scenario, headers, requests: int) -> tuple[float, float, int]:
    """(wall ms, CPU ms) per request over `requests` requests, and how many were sent."""
    wall, cpu, sent = time.perf_counter(), time.process_time(), 0
    for _ in range(requests):
        sent += _send(client, scenario, headers)
    count = max(sent, 1)
    wall_ms = (time.perf_counter() - wall) * 1000 / count
    return wall_ms, (time.process_time() - cpu) * 1000 / count, sent


def _send(client: Client, scenario, headers: dict[str, str]) -> int:
    request = scenario.next_request(0)
    if request is None:
        return 0
    response = client.generic(
        request.method,
        request.path,
        data=request.body or b"",
        content_type="application/json",
        **headers,
    )
    verdict = scenario.judge(response.status_code, response.content)
    if verdict == "error":
        raise RuntimeError(
            f"{scenario.name}: {response.status_code} {response.content[:300]!r}"
        )
    return 1


def _queries_report(captured: list[dict]) -> list[str]:
    total = sum(float(q["time"]) for q in captured) * 1000
    lines = [f"-- one request: {len(captured)} queries, {total:.1f} ms in the database"]
    shapes = Counter(_shape(q["sql"]) for q in captured)
    for query in captured:
        sql = " ".join(query["sql"].split())
        lines.append(f"   {float(query['time']) * 1000:6.2f} ms  {sql[:170]}")
    repeated = [f"{n}x {shape}" for shape, n in shapes.items() if n > 1]
    if repeated:
        lines.append("   repeated: " + "; ".join(repeated))
    return lines


def _shape(sql: str) -> str:
    words = sql.split()
    table = next((w for w in words if w.startswith('"') and "_" in w), "")
    return f"{words[0]} {table}" if words else ""


def _profile_report(profiler: cProfile.Profile) -> list[str]:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"/apps/", 30)
    stats.sort_stats("tottime").print_stats(18)
    body = out.getvalue()
    keep = [
        line for line in body.splitlines() if line.strip() and "Ordered by" not in line
    ]
    return ["-- hottest code (cumulative, then own time):", *keep]
