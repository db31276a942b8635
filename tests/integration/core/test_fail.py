"""fail.lua: a failed attempt retries (delayed by the backoff, or inactive), the last one fails.
Every backoff kind is computed here from the stored backoff, so stall recovery agrees."""

from __future__ import annotations

import pytest

from django_kue.core import clock

from .redis_state import assert_state, claim, events, fields, score


def fail(queue, job_id, token, error="boom", stack="Traceback...", override=-1, now=None):
    return queue.scripts("fail", now or clock.now_ms(), job_id, token, error, stack, override)


def run_and_fail(queue, job, now, **kw):
    [got] = claim(queue, job.type, now=now)
    assert got["id"] == job.id
    reply = fail(queue, job.id, got["token"], now=now, **kw)
    return [r.decode() if isinstance(r, bytes) else r for r in reply]


def test_last_attempt_fails_for_good(queue):
    job = queue.create("email").save()
    now = clock.now_ms()
    assert run_and_fail(queue, job, now, error="SMTP down\nline 2", stack="Traceback: x") == ["failed", 1, 0]
    f = assert_state(queue, job.id, "email", "failed")
    assert (f["error"], f["stack"], f["failed_at"], f["attempts"]) == ("SMTP down\nline 2", "Traceback: x",
                                                                      str(now), "1")
    assert score(queue, job.id, "failed") == now  # failed is scored by failure time
    assert job.logs() == ["SMTP down"]  # the first line of the error, as Kue logs it
    assert events(queue, job.id)[-1] == ("failed", ["SMTP down\nline 2"])


def test_attempts_left_without_backoff_requeue_at_once(queue):
    job = queue.create("email", attempts=3, priority="high").save()
    now = clock.now_ms()
    assert run_and_fail(queue, job, now) == ["inactive", 1, 2]
    assert_state(queue, job.id, "email", "inactive")
    assert score(queue, job.id, "inactive") == -10
    assert [e for e, _ in events(queue, job.id)][-2:] == ["failed attempt", "enqueue"]
    assert events(queue, job.id)[-2] == ("failed attempt", ["boom", 1])
    assert run_and_fail(queue, job, now) == ["inactive", 2, 1]
    assert run_and_fail(queue, job, now) == ["failed", 3, 0]
    assert job.refresh().attempts_made == 3 and job.attempts_remaining == 0


@pytest.mark.parametrize("options, delays", [
    # backoff True: the job's own delay (Kue's test: delay 200 -> second run 200 ms after failing)
    ({"backoff": True, "delay": 200}, [200, 200, 200]),
    ({"backoff": True}, [0, 0, 0]),
    ({"backoff": {"type": "fixed", "delay": 100}}, [100, 100, 100]),
    ({"backoff": {"type": "fixed"}, "delay": 70}, [70, 70, 70]),
    # exponential doubles from the base delay: d * 2**(n-1), capped by maxDelay
    ({"backoff": {"type": "exponential", "delay": 100}}, [100, 200, 400]),
    ({"backoff": {"type": "exponential", "delay": 50, "maxDelay": 120}}, [50, 100, 120]),
    ({"backoff": {"type": "exponential"}, "delay": 30}, [30, 60, 120]),
    ({"backoff": {"type": "exponential"}}, [1000, 2000, 4000]),
])
def test_backoff_delays(queue, options, delays):
    job = queue.create("email", attempts=4, **options).save()
    now = clock.now_ms() + 100_000  # past any initial delay
    for made, delay in enumerate(delays, start=1):
        state, *_ = run_and_fail(queue, job, now)
        if delay == 0:
            assert state == "inactive"
            continue
        assert state == "delayed"
        f = assert_state(queue, job.id, "email", "delayed")
        assert int(f["promote_at"]) - int(f["failed_at"]) == delay, f"attempt {made}"
        assert score(queue, job.id, "delayed") == now + delay
        now += delay  # due: the next claim promotes it
    assert run_and_fail(queue, job, now)[0] == "failed"


def test_a_callable_backoff_computed_by_the_worker_is_passed_in(queue):
    job = queue.create("email", attempts=2, backoff={"type": "fixed", "delay": 5}).save()
    now = clock.now_ms()
    assert run_and_fail(queue, job, now, override=250)[0] == "delayed"
    f = fields(queue, job.id)
    assert int(f["promote_at"]) == now + 250


def test_an_override_of_zero_requeues_at_once(queue):
    job = queue.create("email", attempts=2, backoff=True, delay=1).save()
    assert run_and_fail(queue, job, clock.now_ms() + 10, override=0)[0] == "inactive"


def test_a_stale_token_is_refused_and_changes_nothing(queue):
    job = queue.create("email", attempts=2).save()
    claim(queue, "email")
    before = fields(queue, job.id)
    assert fail(queue, job.id, "99") == []
    assert fields(queue, job.id) == before
    assert_state(queue, job.id, "email", "active")


def test_failing_a_job_that_is_not_active_is_refused(queue):
    job = queue.create("email").save()
    assert fail(queue, job.id, "") == []
    assert_state(queue, job.id, "email", "inactive")
