"""The worker's behaviour, on real Redis and on fakeredis: order, concurrency, results,
errors, retries, unknown types, fencing inside a handler."""

from __future__ import annotations

import threading

import pytest

from django_kue.core import HandlerSpec, LeaseLost, Worker
from tests.helpers import wait_until

from .redis_state import assert_state, events, fields


def test_priority_order_across_kues_five_levels_and_fifo_within(queue, worker_on):
    order = ["low", "normal", "medium", "high", "critical"] * 2
    jobs = [queue.create("email", {"i": i}, priority=p).save() for i, p in enumerate(order)]
    ran = []
    worker_on(queue, {"email": lambda job: ran.append(job.data["i"])})
    wait_until(lambda: len(ran) == len(jobs))
    assert ran == [4, 9, 3, 8, 2, 7, 1, 6, 0, 5]


def test_fifo_overall_and_per_type(queue, worker_on):
    jobs = [queue.create(t, {"i": i}).save() for i, t in enumerate(["a", "b"] * 6)]
    ran = {"a": [], "b": []}
    worker_on(queue, {"a": lambda job: ran["a"].append(job.id), "b": lambda job: ran["b"].append(job.id)})
    wait_until(lambda: len(ran["a"]) + len(ran["b"]) == len(jobs))
    assert ran["a"] == [j.id for j in jobs if j.type == "a"]
    assert ran["b"] == [j.id for j in jobs if j.type == "b"]


def test_concurrency_runs_jobs_at_once(queue, worker_on):
    # Kue's "Concurrency": with 2 slots two jobs run together (they meet at a barrier)
    barrier = threading.Barrier(3, timeout=10)
    for _ in range(3):
        queue.create("email").save()
    worker_on(queue, {"email": lambda job: barrier.wait()}, concurrency=3)
    wait_until(lambda: queue.complete_count("email") == 3)


def test_concurrency_one_runs_jobs_one_after_another(queue, worker_on):
    lock, now, peak = threading.Lock(), [0], [0]

    def handler(job):
        with lock:
            now[0] += 1
            peak[0] = max(peak[0], now[0])
        threading.Event().wait(0.02)
        with lock:
            now[0] -= 1

    for _ in range(4):
        queue.create("email").save()
    worker_on(queue, {"email": handler}, concurrency=1)
    wait_until(lambda: queue.complete_count() == 4)
    assert peak[0] == 1


def test_result_log_progress_and_worker_id(queue, worker_on):
    def handler(job, ctx):
        job.log("sending to %s", job.data["to"])
        job.progress(1, 2, {"step": 1})
        return {"sent": True, "by": ctx.worker_id}

    job = queue.create("email", {"to": "a@b.c"}).save()
    worker = worker_on(queue, {"email": handler}, worker_id="kue:test:1")
    wait_until(lambda: job.refresh().state == "complete")
    assert job.result == {"sent": True, "by": "kue:test:1"}
    assert job.worker_id == "kue:test:1" and job.attempts_made == 1 and job.progress() == 100
    assert job.progress_data == {"step": 1} and job.logs() == ["sending to a@b.c"]
    assert job.duration is not None and job.duration >= 0
    assert [e for e, _ in events(queue, job.id)] == ["enqueue", "start", "progress", "complete"]
    assert worker.processed == 1


def test_an_exception_fails_the_attempt_with_error_and_traceback(queue, worker_on):
    def handler(job):
        raise ValueError("bad address")

    job = queue.create("email").save()
    worker_on(queue, {"email": handler})
    wait_until(lambda: job.refresh().state == "failed")
    assert job.error == "bad address"
    assert "Traceback" in job.stack and "ValueError: bad address" in job.stack
    assert job.logs() == ["bad address"]


def test_attempts_retry_until_success(queue, worker_on):
    # Kue's test.js: attempts(5) with 4 failures then success -> complete after 5 runs
    runs = []

    def handler(job):
        runs.append(job.attempts_made)
        if len(runs) < 5:
            raise RuntimeError(f"try {len(runs)}")
        return "done"

    job = queue.create("email", attempts=5).save()
    worker_on(queue, {"email": handler})
    wait_until(lambda: job.refresh().state == "complete")
    assert runs == [0, 1, 2, 3, 4] and job.attempts_made == 5 and job.result == "done"
    assert [a for e, a in events(queue, job.id) if e == "failed attempt"] == [
        [f"try {n}", n] for n in range(1, 5)]


def test_a_result_that_is_not_json_fails_the_attempt(queue, worker_on):
    job = queue.create("email").save()
    worker_on(queue, {"email": lambda job: {"when": object()}})
    wait_until(lambda: job.refresh().state == "failed")
    assert job.error.startswith("job result is not JSON-serialisable")
    assert "result" not in fields(queue, job.id)


def test_a_job_of_an_unknown_type_stays_queued(queue):
    stranger = queue.create("sms").save()
    known = queue.create("email").save()
    assert Worker(queue, [HandlerSpec("email", lambda job: 1)], burst=True, idle_wait=50).run() == 1
    assert known.refresh().state == "complete"
    assert_state(queue, stranger.id, "sms", "inactive")


def test_burst_and_max_jobs(queue):
    for _ in range(5):
        queue.create("email").save()
    handlers = [HandlerSpec("email", lambda job: None, concurrency=2)]
    assert Worker(queue, handlers, burst=True, max_jobs=3, idle_wait=50).run() == 3
    assert queue.counts()["inactive"] == 2 and queue.complete_count() == 3
    assert Worker(queue, handlers, burst=True, idle_wait=50).run() == 2


def test_remove_on_complete_leaves_nothing(queue, worker_on):
    job = queue.create("email", remove_on_complete=True).save()
    worker_on(queue, {"email": lambda job: 1})
    wait_until(lambda: queue.client.exists(queue.keys.job(job.id)) == 0)
    assert sum(queue.counts().values()) == 0
    assert [e for e, _ in events(queue, job.id)][-2:] == ["complete", "remove"]


def test_a_handler_that_lost_its_job_gets_lease_lost_and_cannot_finish(queue, worker_on):
    started, go, seen = threading.Event(), threading.Event(), []

    def handler(job):
        started.set()
        go.wait(10)
        try:
            job.log("still here?")
        except LeaseLost as exc:
            seen.append(exc)
            raise
        return "late"

    outcomes = []
    job = queue.create("email").save()
    worker_on(queue, {"email": handler}, on_outcome=lambda j, state, o: outcomes.append(state))
    started.wait(10)
    job.set_state("failed")  # by hand, while it runs
    go.set()
    wait_until(lambda: outcomes)
    assert outcomes == ["lost"] and len(seen) == 1
    f = assert_state(queue, job.id, "email", "failed")
    assert "result" not in f and job.logs() == []


def test_custom_backoff_that_raises_falls_back_to_the_jobs_delay(queue, worker_on):
    def bad_backoff(attempts, delay):
        raise ZeroDivisionError

    retries = []
    job = queue.create("email", attempts=2, delay=30).save()
    spec = HandlerSpec("email", lambda job: 1 / 0, backoff=bad_backoff)
    worker_on(queue, [spec], on_outcome=lambda j, state, o: state == "delayed" and retries.append(
        fields(queue, j.id)))
    wait_until(lambda: job.refresh().state == "failed")
    assert len(retries) == 1 and job.attempts_made == 2
    assert int(retries[0]["promote_at"]) - int(retries[0]["failed_at"]) == 30


@pytest.mark.parametrize("concurrency", [0, -1, True, 10_001])
def test_bad_concurrency_is_refused(concurrency):
    from django_kue.core.errors import InvalidJob

    with pytest.raises(InvalidJob, match="concurrency"):
        HandlerSpec("email", lambda job: 1, concurrency)


def test_a_slot_is_free_when_its_handler_returns_and_the_job_stays_held_until_written(queue, worker_on):
    """The slot comes free as the handler returns (the next claim overlaps the completion
    write); until the finisher writes the outcome, the heartbeat still renews the job's lease,
    so a slow write is not mistaken for a dead worker."""
    import dataclasses
    import time

    from django_kue.core.queue import Queue

    short = Queue(queue.client, dataclasses.replace(queue.config, lease=300))
    ran = []
    gate = threading.Event()

    def handler(job):
        ran.append(job.data["i"])
        if job.data["i"] == 2:
            gate.set()  # ran while job 1's outcome was still unwritten: its slot was free

    worker = worker_on(short, {"email": handler}, concurrency=1)
    original = worker._finisher._write

    def slow(batch):
        if any(o.running.job.data["i"] == 1 for o in batch):
            assert gate.wait(5)
            time.sleep(1.0)  # three leases long
        original(batch)

    worker._finisher._write = slow
    first, second = short.create("email", {"i": 1}).save(), short.create("email", {"i": 2}).save()
    wait_until(lambda: short.get_job(first.id).state == "complete", timeout=10)
    wait_until(lambda: short.get_job(second.id).state == "complete", timeout=10)
    assert ran == [1, 2]
    stored = short.get_job(first.id)
    assert (stored.attempts_made, stored.error) == (1, None)
