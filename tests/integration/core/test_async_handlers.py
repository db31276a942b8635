"""Async handlers: ``async def`` runs as coroutines on one event-loop thread per worker, with
the type's concurrency as the number of coroutines at once; ttl and shutdown cancel them."""

from __future__ import annotations

import asyncio
import threading

import pytest

from django_kue.core import HandlerSpec
from tests.helpers import wait_until


def loop_threads():
    return [t for t in threading.enumerate() if t.name.endswith(":asyncio")]


def test_an_async_handler_completes_with_its_result_log_and_progress(queue, worker_on):
    async def handler(job, ctx):
        job.log("hello %s", job.data["name"])
        await asyncio.sleep(0)
        job.progress(1, 2)
        return {"hi": job.data["name"], "type": ctx.type}

    job = queue.create("greet", {"name": "ann"}).save()
    worker_on(queue, {"greet": handler})
    wait_until(lambda: queue.complete_count() == 1)
    done = queue.get_job(job.id)
    assert done.result == {"hi": "ann", "type": "greet"}
    assert queue.log_lines(job.id) == ["hello ann"]


def test_concurrency_is_the_number_of_coroutines_at_once_on_one_thread(redis_queue, worker_on):
    state = {"now": 0, "peak": 0, "threads": set()}
    gate = asyncio.Event()

    async def handler(job):
        state["threads"].add(threading.get_ident())
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        if state["now"] == 3:
            gate.set()  # three coroutines are in flight together
        await gate.wait()
        await asyncio.sleep(0.01)
        state["now"] -= 1

    for _ in range(9):
        redis_queue.create("many").save()
    worker_on(redis_queue, [HandlerSpec("many", handler, 3)])
    wait_until(lambda: redis_queue.complete_count() == 9)
    assert state["peak"] == 3
    assert len(state["threads"]) == 1 and threading.get_ident() not in state["threads"]
    assert len(loop_threads()) == 1


def test_an_exception_fails_the_attempt_with_its_traceback(redis_queue, worker_on):
    async def handler(job):
        await asyncio.sleep(0)
        raise ValueError("bad input")

    job = redis_queue.create("bad", attempts=2).save()
    worker_on(redis_queue, {"bad": handler})
    wait_until(lambda: redis_queue.failed_count() == 1)
    failed = redis_queue.get_job(job.id)
    assert failed.error == "bad input" and failed.attempts_made == 2
    assert "ValueError: bad input" in failed.stack and "in handler" in failed.stack


def test_ttl_cancels_a_hung_coroutine_and_frees_its_slot(redis_queue, worker_on):
    cancelled = []

    async def handler(job):
        if job.data.get("hang"):
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                cancelled.append(job.id)
                raise
        return "ok"

    hung = redis_queue.create("slow", {"hang": True}, ttl=200).save()
    quick = redis_queue.create("slow").save()
    worker_on(redis_queue, [HandlerSpec("slow", handler, 1)])
    wait_until(lambda: redis_queue.get_job(hung.id).state == "failed")
    assert redis_queue.get_job(hung.id).error == "TTL exceeded"
    wait_until(lambda: cancelled == [hung.id])
    wait_until(lambda: redis_queue.get_job(quick.id).state == "complete")  # the one slot came back


def test_sync_and_async_types_in_one_worker_and_shutdown_stops_the_loop(redis_queue, worker_on):
    started = threading.Event()

    async def forever(job):
        started.set()
        await asyncio.sleep(3600)

    hung = redis_queue.create("forever").save()
    redis_queue.create("plain").save()
    worker = worker_on(redis_queue, {"forever": forever, "plain": lambda job: "sync"})
    wait_until(lambda: redis_queue.complete_count("plain") == 1 and started.is_set())
    assert len(loop_threads()) == 1
    worker.shutdown_timeout = 0
    worker.stop()
    worker.thread.join(10)
    assert not worker.thread.is_alive()
    assert redis_queue.get_job(hung.id).error == "shutdown"
    assert loop_threads() == []


@pytest.mark.redis
def test_runkueworker_runs_an_async_kue_job(redis_queue, worker_process):
    job = redis_queue.create("t.async", {"n": 4}).save()
    proc = worker_process("--types", "t.async", "--burst")
    assert proc.wait(60) == 0, proc.stdout.read()
    assert redis_queue.get_job(job.id).result == {"square": 16, "async": True}
