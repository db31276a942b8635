"""ttl, ctx.pause()/ctx.resume() and graceful shutdown with a timeout."""

from __future__ import annotations

import threading

import pytest

from django_kue.core import LeaseLost
from tests.helpers import wait_until

from .redis_state import assert_state, events


def test_ttl_exceeded_fails_the_attempt_retries_and_frees_the_slot(queue, worker_on):
    release, late = threading.Event(), []

    def handler(job):
        if job.data.get("hang") and job.attempts_made == 0:
            release.wait(10)  # hangs past its ttl
            try:
                job.log("after ttl")
            except LeaseLost:
                late.append("lease lost")
            return "too late"
        return "ok"

    hung = queue.create("email", {"hang": True}, ttl=300, attempts=2).save()
    other = queue.create("email").save()
    worker_on(queue, {"email": handler}, concurrency=1)
    # the slot is freed at once: the other job runs while the first handler still hangs
    wait_until(lambda: other.refresh().state == "complete", 5)
    wait_until(lambda: hung.refresh().state == "complete", 5)
    assert ("failed attempt", ["TTL exceeded", 1]) in events(queue, hung.id)
    assert hung.attempts_made == 2 and hung.result == "ok"
    release.set()
    wait_until(lambda: late == ["lease lost"])
    assert hung.refresh().result == "ok"  # the late return changed nothing


def test_ttl_on_the_last_attempt_fails_the_job(queue, worker_on):
    # Kue's Core case: a never-done job with ttl 500 -> failed with 'TTL exceeded'
    stop = threading.Event()
    job = queue.create("email", ttl=200).save()
    worker_on(queue, {"email": lambda j: stop.wait(10)})
    wait_until(lambda: job.refresh().state == "failed", 5)
    stop.set()
    assert job.error == "TTL exceeded"


def test_pause_stops_every_slot_and_resume_restarts_them(queue, worker_on):
    paused, ctxs, running, peak, lock = threading.Event(), [], [0], [0], threading.Lock()
    gate = threading.Event()

    def handler(job, ctx):
        if job.data.get("pause"):
            ctxs.append(ctx)
            ctx.pause()
            paused.set()
            return "paused"
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        gate.wait(5)
        with lock:
            running[0] -= 1

    pauser = queue.create("email", {"pause": True}).save()
    worker_on(queue, {"email": handler}, concurrency=3)
    paused.wait(5)
    wait_until(lambda: pauser.refresh().state == "complete", 5)  # its own completion is written
    jobs = [queue.create("email").save() for _ in range(3)]
    # nothing of the type starts while paused (an absence: a bounded look is all we can do)
    assert not wait_until_or_none(lambda: queue.active_count("email") > 0, 0.6)
    assert queue.inactive_count("email") == 3
    ctxs[0].resume()
    wait_until(lambda: peak[0] == 3, 5)  # all three slots came back, not just one (Kue #1058)
    gate.set()
    wait_until(lambda: all(j.refresh().state == "complete" for j in jobs), 5)


def test_pause_and_resume_inside_the_handler_processes_every_job(queue, worker_on):
    # Kue's shutdown.coffee: ctx.pause() then resume() with concurrency 1 runs all 3 jobs
    def handler(job, ctx):
        ctx.pause(5000)
        threading.Timer(0.05, ctx.resume).start()

    jobs = [queue.create("email").save() for _ in range(3)]
    worker_on(queue, {"email": handler})
    wait_until(lambda: all(j.refresh().state == "complete" for j in jobs), 5)


def test_pause_with_a_timeout_fails_jobs_still_running_as_shutdown(queue, worker_on):
    stop = threading.Event()

    def handler(job, ctx):
        if job.data.get("pause"):
            ctx.pause(200)
            return "paused"
        stop.wait(10)

    slow = queue.create("email").save()
    worker_on(queue, {"email": handler}, concurrency=2)
    wait_until(lambda: slow.refresh().state == "active")
    queue.create("email", {"pause": True}).save()
    wait_until(lambda: slow.refresh().state == "failed", 5)
    stop.set()
    assert slow.error == "shutdown"


@pytest.mark.parametrize("attempts, state", [(1, "failed"), (2, "inactive")])
def test_shutdown_timeout_fails_running_jobs_with_shutdown(queue, worker_on, attempts, state):
    # Kue's shutdown.coffee: the timeout fails the job with 'Shutdown'; with attempts(2) it is
    # back to inactive with one attempt made
    stop = threading.Event()
    job = queue.create("email", attempts=attempts).save()
    worker = worker_on(queue, {"email": lambda j: stop.wait(10)}, shutdown_timeout=150)
    wait_until(lambda: job.refresh().state == "active")
    worker.stop()
    worker.thread.join(5)
    stop.set()
    assert not worker.thread.is_alive()
    f = assert_state(queue, job.id, "email", state)
    assert (f["error"], f["attempts"]) == ("shutdown", "1")


def test_shutdown_waits_for_running_jobs_within_the_timeout(queue, worker_on):
    started, finish = threading.Event(), threading.Event()

    def handler(job):
        started.set()
        finish.wait(10)
        return "finished"

    job = queue.create("email").save()
    waiting = queue.create("email").save()
    worker = worker_on(queue, {"email": handler}, shutdown_timeout=10_000)
    started.wait(5)
    worker.stop()
    assert not wait_until_or_none(lambda: not worker.thread.is_alive(), 0.2)
    finish.set()
    worker.thread.join(5)
    assert not worker.thread.is_alive()
    assert job.refresh().state == "complete" and job.result == "finished"
    assert waiting.refresh().state == "inactive"  # no new job was taken


def wait_until_or_none(predicate, timeout):
    try:
        return wait_until(predicate, timeout)
    except AssertionError:
        return None


def test_the_heartbeat_renews_leases_of_long_jobs(queue, settings, worker_on):
    settings.KUE = {**settings.KUE, "LEASE": 300}
    from django_kue import get_queue

    q = get_queue()
    job = q.create("email").save()
    worker_on(q, {"email": lambda j: threading.Event().wait(1.2) and None})
    wait_until(lambda: job.refresh().state == "complete", 5)
    assert job.attempts_made == 1 and job.error is None  # held past 4 leases, never "stalled"


def test_throttled_progress_is_flushed_by_the_heartbeat(queue, settings, worker_on):
    settings.KUE = {**settings.KUE, "LEASE": 300, "PROGRESS_INTERVAL": 60_000}
    from django_kue import get_queue

    q = get_queue()
    done = threading.Event()

    def handler(job):
        job.progress(1, 10)
        job.progress(5, 10, {"half": True})  # held back by the interval
        done.wait(5)

    job = q.create("video").save()
    worker_on(q, {"video": handler})
    wait_until(lambda: job.refresh().progress() == 50, 3)
    assert job.progress_data == {"half": True} and job.state == "active"
    done.set()
