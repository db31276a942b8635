"""Periodic jobs: one job per tick however many schedulers try; a new schedule starts at its
next tick; after downtime the most recent missed tick runs once, not a backlog."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from django_kue.core.cron import Cron
from django_kue.core.errors import InvalidJob
from django_kue.core.periodic import Schedule, Scheduler, last_ticks
from tests.helpers import wait_until

T0 = 1_800_000_000_000  # a whole minute (ms)


def every_second(**kw):
    return Schedule.build("beat", "tick", every=dt.timedelta(seconds=1), **kw)


def test_a_new_schedule_starts_at_its_next_tick(queue):
    scheduler = Scheduler(queue, [every_second()])
    assert scheduler.run_due(T0 + 300) == []  # first tick seen: recorded, not run
    assert last_ticks(queue, scheduler.schedules) == {"beat": T0}
    [job] = scheduler.run_due(T0 + 1200)
    assert (job.type, job.state) == ("tick", "inactive")
    fresh = queue.get_job(job.id)
    assert fresh.periodic == "beat"
    assert scheduler.run_due(T0 + 1900) == []  # same tick again: nothing


def test_many_schedulers_one_job_per_tick(queue):
    schedulers = [Scheduler(queue, [every_second()]) for _ in range(5)]
    for s in schedulers:
        s.run_due(T0)
    for second in range(1, 4):
        created = [job for s in schedulers for job in s.run_due(T0 + second * 1000 + 5)]
        assert len(created) == 1
    assert queue.inactive_count("tick") == 3


def test_many_threads_racing_one_job_per_tick(redis_queue):
    schedulers = [Scheduler(redis_queue, [every_second()]) for _ in range(8)]
    schedulers[0].run_due(T0)
    barrier, created = threading.Barrier(8), []

    def race(s):
        barrier.wait()
        created.extend(s.run_due(T0 + 1000))

    threads = [threading.Thread(target=race, args=(s,)) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(created) == 1 and redis_queue.inactive_count("tick") == 1


def test_missed_ticks_run_once_not_as_a_backlog(queue):
    Scheduler(queue, [every_second()]).run_due(T0)
    Scheduler(queue, [every_second()]).run_due(T0 + 1000)
    # down for an hour: a new scheduler (a restarted worker) catches up once
    created = Scheduler(queue, [every_second()]).run_due(T0 + 3_600_500)
    assert len(created) == 1 and queue.inactive_count("tick") == 2
    assert last_ticks(queue, [every_second()]) == {"beat": T0 + 3_600_000}


def test_a_cron_schedule_ticks_on_its_minutes(queue):
    schedule = Schedule.build("five", "report", cron="*/5 * * * *", data={"kind": "x"},
                              options={"priority": "high"})
    scheduler = Scheduler(queue, [schedule])
    assert schedule.last_tick(T0 + 299_000) == T0 and schedule.next_tick(T0) == T0 + 300_000
    scheduler.run_due(T0 + 1000)
    assert scheduler.run_due(T0 + 299_000) == []
    [job] = scheduler.run_due(T0 + 300_001)
    assert job.data == {"kind": "x"} and job.priority == -10


def test_a_periodic_job_with_a_unique_key_skips_a_tick_while_the_last_one_is_live(queue):
    schedule = every_second(options={"unique_key": "only-one"})
    scheduler = Scheduler(queue, [schedule])
    scheduler.run_due(T0)
    assert len(scheduler.run_due(T0 + 1000)) == 1
    assert scheduler.run_due(T0 + 2000) == []  # the first is still inactive
    assert queue.inactive_count("tick") == 1


def test_the_thread_enqueues_on_real_time(redis_queue):
    scheduler = Scheduler(redis_queue, [every_second()]).start()
    try:
        wait_until(lambda: redis_queue.inactive_count("tick") >= 2, 5)
    finally:
        scheduler.stop()


@pytest.mark.parametrize("kwargs, match", [
    ({"every": 500}, "at least 1 second"),
    ({"every": 1000, "cron": "* * * * *"}, "either cron or every"),
    ({}, "either cron or every"),
    ({"cron": "* * *"}, "5 fields"),
    ({"cron": "0 0 31 2 *"}, "never matches"),
    ({"every": 1000, "data": [1]}, "data must be a dict"),
    ({"every": 1000, "options": {"bogus": 1}}, "unknown job option"),
])
def test_bad_schedules_are_refused(kwargs, match):
    with pytest.raises(InvalidJob, match=match):
        Schedule.build("s", "tick", **kwargs)


def test_names_must_be_unique(queue):
    with pytest.raises(InvalidJob, match="unique"):
        Scheduler(queue, [every_second(), every_second()])


@pytest.mark.parametrize("expression, after, expected", [
    ("*/15 * * * *", "2026-01-01 10:07", "2026-01-01 10:15"),
    ("0 3 * * *", "2026-01-01 03:00", "2026-01-02 03:00"),
    ("30 8 * * mon-fri", "2026-01-02 09:00", "2026-01-05 08:30"),  # Friday -> Monday
    ("0 0 1 jan *", "2026-06-01 00:00", "2027-01-01 00:00"),
    ("0 12 13 * 5", "2026-01-01 00:00", "2026-01-02 12:00"),  # day 13 OR Friday (Vixie)
    ("0 0 * * 7", "2026-01-01 00:00", "2026-01-04 00:00"),  # 7 is Sunday
    ("5-10/5 1,2 * * *", "2026-01-01 01:06", "2026-01-01 01:10"),
])
def test_cron_next_after(expression, after, expected):
    utc = dt.UTC
    start = dt.datetime.fromisoformat(after).replace(tzinfo=utc)
    assert Cron(expression).next_after(start) == dt.datetime.fromisoformat(expected).replace(tzinfo=utc)


def test_cron_in_a_time_zone():
    import zoneinfo

    paris = zoneinfo.ZoneInfo("Europe/Paris")
    cron = Cron("0 3 * * *", paris)
    after = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    assert cron.next_after(after) == dt.datetime(2026, 1, 2, 2, 0, tzinfo=dt.UTC)
