import datetime as dt
import random

import pytest

from apps.core.retry import RetrySchedule

SCHEDULE = RetrySchedule(
    first=dt.timedelta(seconds=30),
    ceiling=dt.timedelta(hours=1),
    give_up_after=dt.timedelta(hours=48),
)
NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("failures", "longest"),
    [(1, 30), (2, 60), (3, 120), (8, 3600), (9, 3600), (500, 3600)],
)
def test_delays_double_up_to_the_ceiling(failures, longest):
    assert SCHEDULE.longest_delay(failures) == dt.timedelta(seconds=longest)


@pytest.mark.parametrize("failures", [1, 2, 5, 9, 60])
def test_jitter_keeps_half_the_delay_and_never_gives_zero(failures):
    rng = random.Random(17)
    longest = SCHEDULE.longest_delay(failures)
    delays = [SCHEDULE.delay(failures, rng=rng) for _ in range(500)]
    assert all(longest / 2 <= delay <= longest for delay in delays)
    assert len(set(delays)) > 1  # spread, so a backlog does not retry in step


def test_the_extremes_of_the_random_draw():
    class Fixed(random.Random):
        def __init__(self, value):
            super().__init__()
            self.value = value

        def random(self):
            return self.value

    assert SCHEDULE.delay(1, rng=Fixed(0.0)) == dt.timedelta(seconds=15)
    assert SCHEDULE.delay(1, rng=Fixed(0.999999)) < dt.timedelta(seconds=30)


def test_next_try_until_the_work_has_waited_long_enough():
    since = NOW - dt.timedelta(hours=47)
    retry_at = SCHEDULE.next_try(failures=40, waiting_since=since, now=NOW)
    assert NOW + dt.timedelta(minutes=30) <= retry_at <= NOW + dt.timedelta(hours=1)

    since = NOW - dt.timedelta(hours=48)
    assert SCHEDULE.next_try(failures=41, waiting_since=since, now=NOW) is None


def test_the_schedule_describes_itself_for_operators():
    assert SCHEDULE.describe() == (
        "first retry after 15 s–30 s, doubling up to 1 h, given up after 48 h"
    )
