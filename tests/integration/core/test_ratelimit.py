"""Rate limits: at most N jobs of a type start per window across every worker; the rest wait
inactive (never failed) and start in the next windows."""

from __future__ import annotations

import collections

import pytest

from django_kue.core import HandlerSpec
from django_kue.core.errors import InvalidJob
from django_kue.core.ratelimit import RateLimit, parse
from tests.helpers import wait_until


@pytest.mark.parametrize("text, limit, window", [
    ("100/m", 100, 60_000), ("5/s", 5, 1000), ("10/30s", 10, 30_000), (" 2 / 500ms ", 2, 500),
    ("1000/h", 1000, 3_600_000), ("50/d", 50, 86_400_000),
])
def test_parse(text, limit, window):
    assert parse(text) == RateLimit(limit, window)


@pytest.mark.parametrize("bad", ["100", "0/m", "10/0s", "x/m", "10/w", "-1/s", (1, "s"), 5, True])
def test_bad_rate_limits_are_refused(bad):
    with pytest.raises(InvalidJob, match="rate_limit"):
        parse(bad)


def starts_per_window(queue, type_, window):
    jobs = queue.range_by_type(type_, "complete", 0, -1)
    return collections.Counter(job.started_at // window for job in jobs)


def test_two_workers_never_start_more_than_the_limit_per_window(queue, worker_on):
    limit = RateLimit(3, 500)
    spec = HandlerSpec("api", lambda job: None, concurrency=4, rate_limit=limit)
    queue.create_many([("api", {"n": i}) for i in range(12)])
    worker_on(queue, [spec])
    worker_on(queue, [spec])
    wait_until(lambda: queue.complete_count("api") == 12, timeout=15)
    per_window = starts_per_window(queue, "api", 500)
    assert max(per_window.values()) <= 3
    assert len(per_window) >= 4  # 12 jobs at 3 per window: at least 4 windows
    assert queue.failed_count() == 0


def test_jobs_over_the_limit_wait_inactive(redis_queue, worker_on):
    spec = HandlerSpec("api", lambda job: None, rate_limit=RateLimit(2, 60_000))
    redis_queue.create_many([("api", {}) for _ in range(5)])
    worker_on(redis_queue, [spec])
    wait_until(lambda: redis_queue.complete_count("api") == 2)
    assert redis_queue.inactive_count("api") == 3 and redis_queue.failed_count() == 0
    # other types are not held back
    worker_on(redis_queue, {"other": lambda job: None})
    other = redis_queue.create("other").save()
    wait_until(lambda: redis_queue.get_job(other.id).state == "complete")
    assert redis_queue.inactive_count("api") == 3
