"""Cancellation: a queued job ends at once (failed, error "cancelled", no retry); a running
one is asked to stop: job.cancelled, Cancelled from log()/progress(), and it ends cancelled
however its handler returns."""

from __future__ import annotations

import threading

import pytest

from django_kue.core.errors import Cancelled, InvalidState, JobNotFound
from tests.helpers import wait_until

from .redis_state import assert_state, events


@pytest.mark.parametrize("options", [{}, {"delay": 60_000}])
def test_a_queued_job_is_cancelled_at_once(queue, options):
    job = queue.create("email", attempts=3, **options).save()
    before = job.state
    assert queue.cancel(job.id) == before
    f = assert_state(queue, job.id, "email", "failed")
    assert f["error"] == "cancelled" and f["cancelled"] == "1"
    fresh = queue.get_job(job.id)
    assert fresh.cancelled and fresh.error == "cancelled"
    assert events(queue, job.id)[-1] == ("failed", ["cancelled"])
    assert queue.get_job(job.id).logs()[-1] == "cancelled"


def test_job_cancel_method(queue):
    job = queue.create("email").save()
    assert not job.cancelled
    assert job.cancel().state == "failed" and job.cancelled


def test_a_finished_or_unknown_job_is_refused_and_unchanged(queue):
    job = queue.create("email").save()
    job.set_state("complete")
    with pytest.raises(InvalidState, match="complete already"):
        queue.cancel(job.id)
    assert_state(queue, job.id, "email", "complete")
    assert not queue.get_job(job.id).cancelled
    with pytest.raises(JobNotFound):
        queue.cancel(999_999)


def test_a_cancelled_job_frees_its_unique_key(queue):
    job = queue.create("email", unique_key="k").save()
    job.cancel()
    assert queue.create("email", unique_key="k").save().id != job.id


def test_a_running_handler_sees_the_flag_and_returning_ends_it_cancelled(queue, start_worker):
    started, seen = threading.Event(), []

    def patient(job):
        started.set()
        wait_until(lambda: job.cancelled, timeout=10)
        seen.append(True)
        return "stopped early"

    start_worker({"email": patient})
    job = queue.create("email", attempts=3).save()
    assert started.wait(10)
    assert queue.cancel(job.id) == "active"
    wait_until(lambda: queue.get_job(job.id).state == "failed")
    f = assert_state(queue, job.id, "email", "failed")
    assert seen and f["error"] == "cancelled" and f["cancelled"] == "1"
    assert "result" not in f  # it did not complete


@pytest.mark.parametrize("call", ["log", "progress"])
def test_log_or_progress_raises_cancelled_and_the_job_does_not_retry(queue, start_worker, call):
    started, raised = threading.Event(), []

    def steps(job):
        started.set()
        try:
            for step in range(1000):
                if call == "log":
                    job.log("step %d", step)
                else:
                    job._last_progress_write = 0  # not throttled: every call writes
                    job.progress(step, 1000)
                threading.Event().wait(0.01)
        except Cancelled as exc:
            raised.append(exc)
            raise
        return "finished"

    start_worker({"email": steps})
    job = queue.create("email", attempts=5, backoff=True).save()
    assert started.wait(10)
    job.cancel()
    wait_until(lambda: queue.get_job(job.id).state == "failed")
    assert raised and isinstance(raised[0], Cancelled)
    fresh = queue.get_job(job.id)
    assert fresh.error == "cancelled" and fresh.cancelled
    assert fresh.attempts_made == 0 or fresh.attempts_remaining > 0  # ended, not retried
    assert queue.delayed_count() == queue.inactive_count() == 0


def test_log_and_progress_from_outside_a_worker_still_work_after_cancel(queue):
    job = queue.create("email").save()
    job.cancel()
    job.log("a note")
    job.progress(1, 2)
    assert "a note" in queue.get_job(job.id).logs()


def test_retrying_a_cancelled_job_runs_it_again(queue, start_worker):
    job = queue.create("email").save()
    job.cancel()
    job.set_state("inactive")  # the dashboard's restart
    assert not queue.get_job(job.id).cancelled
    start_worker({"email": lambda j: j.log("ran") or "done"})
    wait_until(lambda: queue.get_job(job.id).state == "complete")
    assert queue.get_job(job.id).result == "done"


def test_a_cancelled_job_whose_worker_died_ends_cancelled(redis_queue):
    from django_kue.core import clock

    job = redis_queue.create("email", attempts=3).save()
    redis_queue.scripts("claim", clock.now_ms(), "dead-worker", 1, 100, "email", 1)
    job.cancel()
    assert job.state == "active"
    redis_queue.scripts("recover", clock.now_ms() + 10, 100)
    f = assert_state(redis_queue, job.id, "email", "failed")
    assert f["error"] == "cancelled" and f["cancelled"] == "1"
