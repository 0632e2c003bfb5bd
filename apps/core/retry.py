"""Retry schedules for work that waits on an outside provider (OpenAI, email, SMS).

A transient failure puts the row back with a time for its next try: exponential
backoff from `first` up to `ceiling`, with "equal jitter" (half the delay fixed, half
random) so a backlog spreads out after an outage and no retry comes after 0 s. Work
is given up (FAILED, with the reason) only once it has waited `give_up_after`,
because provider outages last minutes to hours and delayed work must still arrive.
"""

import datetime as dt
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetrySchedule:
    first: dt.timedelta
    ceiling: dt.timedelta
    give_up_after: dt.timedelta

    def delay(self, failures: int, *, rng: random.Random | None = None) -> dt.timedelta:
        """The wait after the `failures`-th failure in a row (1 for the first)."""
        full = self.longest_delay(failures)
        return full / 2 + full / 2 * (rng or random).random()

    def longest_delay(self, failures: int) -> dt.timedelta:
        """The upper bound of `delay` (no jitter)."""
        # 2**30 * first is far past any ceiling.
        return min(self.ceiling, self.first * 2 ** max(0, min(failures - 1, 30)))

    def next_try(
        self, *, failures: int, waiting_since: dt.datetime, now: dt.datetime
    ) -> dt.datetime | None:
        """When to try again, or None once the work has waited `give_up_after`."""
        if now - waiting_since >= self.give_up_after:
            return None
        return now + self.delay(failures)

    def describe(self) -> str:
        return (
            f"first retry after {_human(self.first / 2)}–{_human(self.first)}, doubling "
            f"up to {_human(self.ceiling)}, given up after {_human(self.give_up_after)}"
        )


def _human(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 3600 == 0 and seconds >= 3600:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0 and seconds >= 60:
        return f"{seconds // 60} min"
    return f"{seconds} s"
