"""gunicorn hooks for the benches (`-c`): each worker's garbage-collector pauses.

Every collection of 2 ms or more is appended, as it ends, to
bench/results/gc-pauses.jsonl (pid, generation, ms). With BENCH_GC_UNFROZEN=1 each
worker undoes voicehive/wsgi.py's gc.freeze(), to compare the two states.
"""

import gc
import json
import os
import time
from pathlib import Path

PAUSES = Path(__file__).resolve().parent / "results" / "gc-pauses.jsonl"
RECORDED_FROM_MS = 2.0


def post_worker_init(worker) -> None:
    if os.environ.get("BENCH_GC_UNFROZEN") == "1":
        gc.unfreeze()
    started = 0.0

    def record(phase: str, info: dict) -> None:
        nonlocal started
        if phase == "start":
            started = time.perf_counter()
            return
        ms = (time.perf_counter() - started) * 1000
        if ms >= RECORDED_FROM_MS:
            line = {"pid": os.getpid(), "generation": info["generation"], "ms": ms}
            with PAUSES.open("a") as pauses:
                pauses.write(json.dumps(line) + "\n")

    gc.callbacks.append(record)


def read_pauses() -> dict:
    """The pauses recorded since the file was last emptied, then empty it."""
    if not PAUSES.exists():
        return {"count": 0, "full": 0, "max_ms": 0, "total_ms": 0}
    rows = [json.loads(line) for line in PAUSES.read_text().splitlines() if line]
    PAUSES.write_text("")
    return {
        "count": len(rows),
        "full": sum(row["generation"] == 2 for row in rows),
        "max_ms": round(max((row["ms"] for row in rows), default=0), 1),
        "total_ms": round(sum(row["ms"] for row in rows), 1),
    }
