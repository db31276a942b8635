"""Timing, on real Redis: delayed jobs start within 100 ms of promote_at (p50), retries run
their backoff's delay after the failure, an idle worker sleeps instead of polling.

Bounds are p50 over several jobs, loose enough for a loaded 2-core machine, tight enough that
Kue's 1 s promotion tick (or a lost doorbell) fails them."""

from __future__ import annotations

import statistics
import threading

import pytest

from django_kue.core import HandlerSpec, clock
from tests.helpers import wait_until


class Starts:
    """A handler that records (attempts made, failed_at, promote_at, start time) per run."""

    def __init__(self, fail_until: int = 0) -> None:
        self.runs: list[tuple[int, int | None, int | None, int]] = []
        self.fail_until = fail_until
        self.lock = threading.Lock()

    def __call__(self, job):
        with self.lock:
            self.runs.append((job.attempts_made, job.failed_at, job.promote_at, clock.now_ms()))
        if job.attempts_made < self.fail_until:
            raise RuntimeError("again")


def test_enqueue_to_start_latency(redis_queue, worker_on):
    starts = Starts()
    worker_on(redis_queue, {"email": starts}, idle_wait=10_000)
    jobs = []
    for _ in range(7):
        jobs.append(redis_queue.create("email").save())
        wait_until(lambda: len(starts.runs) == len(jobs), 5)
    latencies = [run[3] - job.created_at for run, job in zip(starts.runs, jobs)]
    assert statistics.median(latencies) < 50, latencies


def test_delayed_jobs_start_within_100ms_of_promote_at(redis_queue, worker_on):
    starts = Starts()
    worker_on(redis_queue, {"email": starts}, idle_wait=10_000)  # so only the timer can wake it
    jobs = [redis_queue.create("email", delay=delay).save() for delay in (300, 500, 700, 900, 1100, 1300)]
    wait_until(lambda: len(starts.runs) == len(jobs), 10)
    lateness = [start - promote_at for _, _, promote_at, start in starts.runs]
    assert all(late >= 0 for late in lateness), lateness  # never early
    assert statistics.median(lateness) < 100, lateness
    assert max(lateness) < 500, lateness
    assert [p for _, _, p, _ in starts.runs] == [j.promote_at for j in jobs]


def test_an_earlier_delayed_job_rings_the_sleeping_worker(redis_queue, worker_on):
    starts = Starts()
    worker_on(redis_queue, {"email": starts}, idle_wait=10_000)
    redis_queue.create("email", delay=8_000).save()  # the worker now sleeps ~8 s
    wait_until(lambda: redis_queue.client.llen(redis_queue.keys.timer) == 0, 5)
    soon = redis_queue.create("email", delay=200).save()
    wait_until(lambda: starts.runs, 5)
    assert starts.runs[0][2] == soon.promote_at
    assert starts.runs[0][3] - soon.promote_at < 250, starts.runs


def test_an_idle_worker_does_not_poll(redis_queue, worker_on):
    calls = []
    real = redis_queue.scripts

    class Counting:
        def __call__(self, name, *args, **kw):
            calls.append(name)
            return real(name, *args, **kw)

        def __getattr__(self, name):
            return getattr(real, name)

    redis_queue.scripts = Counting()
    redis_queue.create("email", delay=60_000).save()
    worker_on(redis_queue, {"email": lambda job: None}, idle_wait=10_000)
    wait_until(lambda: "claim" in calls, 5)
    threading.Event().wait(1.0)  # an absence: look for a second
    assert calls.count("claim") <= 2, calls


def _gaps(starts: Starts) -> list[tuple[int, int]]:
    """Per retry: (promote_at - failed_at, start - promote_at)."""
    return [(p - f, s - p) for made, f, p, s in starts.runs if made > 0]


@pytest.mark.parametrize("options, spec_backoff, delays", [
    ({"backoff": {"type": "fixed", "delay": 150}}, None, [150, 150]),
    ({"backoff": True, "delay": 150}, None, [150, 150]),
    ({"backoff": {"type": "exponential", "delay": 60}}, None, [60, 120]),
    ({"backoff": {"type": "exponential", "delay": 100, "maxDelay": 150}}, None, [100, 150]),
    ({}, lambda attempts, delay: 100 * attempts, [100, 200]),
], ids=["fixed", "true", "exponential", "exponential-capped", "callable"])
def test_backoff_delays_are_kept(redis_queue, worker_on, options, spec_backoff, delays):
    starts = Starts(fail_until=len(delays))
    job = redis_queue.create("email", attempts=len(delays) + 1, **options).save()
    worker_on(redis_queue, [HandlerSpec("email", starts, backoff=spec_backoff)], idle_wait=10_000)
    wait_until(lambda: job.refresh().state == "complete", 10)
    gaps = _gaps(starts)
    assert [d for d, _ in gaps] == delays
    assert all(0 <= late < 300 for _, late in gaps), gaps
    assert statistics.median(late for _, late in gaps) < 100, gaps


def test_after_a_ttl_failure_the_next_job_starts_at_the_deadline(redis_queue, worker_on):
    # Kue's "Concurrency" case: with one slot, the job after a hung one (ttl 300) starts
    # about 300 ms after it, and one failure is counted
    release, starts = threading.Event(), {}

    def handler(job):
        starts[job.data["name"]] = clock.now_ms()
        if job.data["name"] == "hung":
            release.wait(10)

    hung = redis_queue.create("email", {"name": "hung"}, ttl=300).save()
    redis_queue.create("email", {"name": "next"}).save()
    worker_on(redis_queue, {"email": handler}, concurrency=1)
    wait_until(lambda: "next" in starts, 5)
    release.set()
    # the deadline runs from the dispatch, a moment before the handler reads the clock
    assert 295 <= starts["next"] - starts["hung"] < 450, starts
    assert hung.refresh().state == "failed" and hung.error == "TTL exceeded"
    assert redis_queue.failed_count() == 1
