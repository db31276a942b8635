"""The counters behind GET /metrics, written by the scripts, read by core.metrics."""

from __future__ import annotations

import re
import time
from importlib import resources

import pytest

from django_kue.core import clock, metrics
from tests.helpers import wait_until


def test_the_lua_buckets_are_the_python_buckets():
    text = resources.files("django_kue.core").joinpath("lua", "includes", "metrics.lua").read_text()
    listed = re.search(r"DURATION_BUCKETS = \{([^}]*)\}", text).group(1)
    assert tuple(int(n) for n in listed.split(",")) == metrics.BUCKETS_MS


def test_jobs_per_state_and_type(queue):
    queue.create("email").save()
    queue.create("email", delay=60_000).save()
    queue.create("sms").save()
    snap = metrics.snapshot(queue)
    assert snap.jobs[("email", "inactive")] == 1
    assert snap.jobs[("email", "delayed")] == 1
    assert snap.jobs[("sms", "inactive")] == 1
    assert snap.jobs[("sms", "complete")] == 0
    assert snap.mirror_lag_ms is None


def test_completions_fill_the_duration_histogram_and_failures_are_counted(queue, worker_on):
    for ms in (0, 30, 30):
        queue.create("nap", {"ms": ms}).save()
    queue.create("bad", attempts=2).save()

    def bad(job):
        raise ValueError("no")

    worker_on(queue, {"nap": _sleeper, "bad": bad}, concurrency=3)
    wait_until(lambda: queue.complete_count("nap") == 3 and queue.failed_count("bad") == 1)
    snap = metrics.snapshot(queue)
    hist = snap.durations["nap"]
    assert hist.count == 3 and len(hist.buckets) == len(metrics.BUCKETS_MS) + 1
    assert hist.buckets == sorted(hist.buckets)  # cumulative
    at_25ms = hist.buckets[metrics.BUCKETS_MS.index(25)]
    assert at_25ms == 1  # the 0 ms job; the two 30 ms jobs are above
    assert hist.buckets[-1] == 3  # +Inf
    assert hist.sum_ms >= 60
    assert snap.failed_attempts == {"bad": 2} and snap.failed == {"bad": 1}
    assert "bad" not in snap.durations


def _sleeper(job):
    time.sleep(job.data["ms"] / 1000)  # the job's own work: the duration under test


@pytest.mark.redis
def test_stalled_jobs_count_as_failed_attempts(redis_queue):
    job = redis_queue.create("email", attempts=1).save()
    reply = redis_queue.scripts("claim", 1000, "w", 1, 10, "email", 1)  # lease ends at 1001 ms
    assert len(reply) == 3
    assert redis_queue.recover_stalled() == [job.id]
    snap = metrics.snapshot(redis_queue)
    assert (snap.failed_attempts, snap.failed) == ({"email": 1}, {"email": 1})


@pytest.mark.redis
def test_mirror_lag_is_the_age_of_the_oldest_event_not_applied(redis_queue):
    client, stream = redis_queue.client, redis_queue.keys.events
    client.xgroup_create(stream, "lagging", id="$", mkstream=True)
    assert metrics.mirror_lag_ms(redis_queue, "lagging") == 0
    redis_queue.create("email").save()
    first = int(client.xrange(stream, count=1)[0][0].decode().split("-")[0])
    wait_until(lambda: metrics.mirror_lag_ms(redis_queue, "lagging") >= 30)
    lag = metrics.mirror_lag_ms(redis_queue, "lagging")
    assert 30 <= lag <= clock.now_ms() - first
    read = client.xreadgroup("lagging", "c", {stream: ">"})
    assert metrics.mirror_lag_ms(redis_queue, "lagging") >= 30  # read but not acknowledged
    client.xack(stream, "lagging", *[entry_id for entry_id, _ in read[0][1]])
    assert metrics.mirror_lag_ms(redis_queue, "lagging") == 0
    assert metrics.mirror_lag_ms(redis_queue, "no-such-group") is None
