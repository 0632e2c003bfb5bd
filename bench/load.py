"""The load client: N concurrent keep-alive connections in one asyncio loop, timing each request.

One process, one thread, and a minimal HTTP/1.1 client on asyncio streams rather
than httpx: on a two-core machine the client's CPU is taken from the server, and
httpx costs about a millisecond of CPU a request, this client a fraction of that.
Its own CPU share is reported beside every result.
"""

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from bench.instruments import percentile
from bench.scenarios import Request

HEADERS = {
    "Content-Type": "application/json",
    # gunicorn sits behind a TLS proxy in production; this is what the proxy adds.
    "X-Forwarded-Proto": "https",
}


class Scenario(Protocol):
    name: str

    def next_request(self, client: int) -> Request | None: ...

    def judge(self, status: int, content: bytes) -> str: ...


@dataclass
class Result:
    scenario: str
    requests: int = 0
    errors: int = 0
    taken: int = 0
    seconds: float = 0.0
    throughput: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    client_cpu: float = 0.0  # share of one core the load client used
    machine_cpu: float = 0.0  # share of all cores busy (server, database, client)
    other_cpu: float = 0.0  # share of all cores used by processes outside the bench
    exhausted: bool = False  # stopped early: no distinct requests left
    latencies: list[float] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("latencies")
        return data


async def run(
    base_url: str,
    scenario: Scenario,
    *,
    concurrency: int,
    seconds: float,
    max_requests: int,
    auth: dict[str, str],
    bench_pids: Callable[[], list[int]] = list,
) -> Result:
    """Drive `scenario` for `seconds` or `max_requests`, whichever comes first.

    `bench_pids` lists the server's and database's processes, so that CPU used by
    anything else on the machine meanwhile can be reported beside the figures.
    """
    result = Result(scenario.name)
    ours = _process_jiffies([os.getpid(), *bench_pids()])
    host, port = urlsplit(base_url).hostname, urlsplit(base_url).port
    headers = HEADERS | auth | {"Host": f"{host}:{port}"}
    deadline = time.perf_counter() + seconds
    budget = iter(range(max_requests))
    cpu, machine, started = time.process_time(), _busy_jiffies(), time.perf_counter()
    await asyncio.gather(
        *(
            _client(
                Connection(host, port, headers), scenario, n, deadline, budget, result
            )
            for n in range(concurrency)
        )
    )
    elapsed = time.perf_counter() - started
    result.client_cpu = (time.process_time() - cpu) / elapsed
    after = _busy_jiffies()
    result.machine_cpu = _busy_share(machine, after)
    ours_after = _process_jiffies([os.getpid(), *bench_pids(), *ours])
    used = sum(jiffies - ours.get(pid, 0) for pid, jiffies in ours_after.items())
    result.other_cpu = _other_share(machine, after, used)
    _summarise(result, elapsed)
    return result


class Connection:
    """One keep-alive HTTP/1.1 connection; reconnects when the server closes it."""

    def __init__(self, host: str, port: int, headers: dict[str, str]):
        self.address = (host, port)
        self.head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, request: Request) -> tuple[int, bytes]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(*self.address)
        reader, writer = self.streams
        body = request.body or b""
        writer.write(
            f"{request.method} {request.path} HTTP/1.1\r\n{self.head}"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        status, headers = await self._head(reader)
        content = await self._body(reader, headers)
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, content

    async def _head(self, reader) -> tuple[int, dict[str, str]]:
        raw = await reader.readuntil(b"\r\n\r\n")
        status_line, *lines = raw.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        return int(status_line.split()[1]), headers

    async def _body(self, reader, headers: dict[str, str]) -> bytes:
        if "content-length" in headers:
            return await reader.readexactly(int(headers["content-length"]))
        if headers.get("transfer-encoding", "").lower() != "chunked":
            return await reader.read()
        chunks = []
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")
        return b"".join(chunks)

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def _client(
    connection: Connection, scenario, index, deadline, budget, result
) -> None:
    try:
        while time.perf_counter() < deadline and next(budget, None) is not None:
            request = scenario.next_request(index)
            if request is None:
                result.exhausted = True
                return
            started = time.perf_counter()
            try:
                status, content = await connection.request(request)
                verdict = scenario.judge(status, content)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                connection.close()
                verdict = "error"
            result.latencies.append(time.perf_counter() - started)
            result.errors += verdict == "error"
            result.taken += verdict == "taken"
    finally:
        connection.close()


def _summarise(result: Result, elapsed: float) -> None:
    ordered = sorted(result.latencies)
    result.requests = len(ordered)
    result.seconds = round(elapsed, 2)
    result.throughput = round(len(ordered) / elapsed, 1) if elapsed else 0.0
    result.p50_ms = round(percentile(ordered, 0.50) * 1000, 1)
    result.p99_ms = round(percentile(ordered, 0.99) * 1000, 1)
    result.max_ms = round((ordered[-1] if ordered else 0) * 1000, 1)
    result.client_cpu = round(result.client_cpu, 3)


def machine_busy(seconds: float) -> float:
    """How busy all cores are over the next `seconds` (blocking)."""
    before = _busy_jiffies()
    time.sleep(seconds)
    return _busy_share(before, _busy_jiffies())


def _busy_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _process_jiffies(pids: list[int]) -> dict[int, int]:
    """User plus system CPU time used so far by each of these processes still alive.

    A process that appears later (a new database connection) counts from zero.
    """
    used = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            continue
        used[pid] = int(fields[11]) + int(fields[12])  # utime, stime
    return used


def _other_share(before: tuple[int, int], after: tuple[int, int], ours: int) -> float:
    total = after[1] - before[1]
    return round(max(0, after[0] - before[0] - ours) / total, 3) if total else 0.0


def _busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return round((after[0] - before[0]) / total, 3) if total else 0.0
