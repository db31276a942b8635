"""No job is lost: real ``runkueworker`` processes killed with SIGKILL, exiting mid-job, or
frozen past their lease (SIGSTOP) and thawed: the zombie cannot complete or fail the job that
another worker took over (its stale fencing token is refused; the script-level proofs are
``test_a_stale_token_is_refused_and_changes_nothing`` in tests/integration/core/test_complete.py
and test_fail.py). Handlers: testproject/testjobs/tasks.py. The same at scale, with thousands of
jobs and a kill every 2 s: test_worker_crashes.py."""

from __future__ import annotations

import os
import re
import signal

import pytest

from tests.helpers import wait_until
from tests.integration.core.redis_state import events

pytestmark = pytest.mark.slow

LEASE = 1000  # ms: a dead worker's jobs come back about a second later


def _pids(job) -> list[int]:
    return [int(p) for p in re.findall(r"pid (\d+)", " ".join(job.logs()))]


def _stop(proc) -> str:
    """SIGTERM (graceful), then the worker's whole output."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=15)
    return out


def test_jobs_of_a_worker_killed_mid_job_are_recovered_by_another(redis_queue, worker_process):
    first = worker_process("--no-mirror", "--types=t.sleep", lease=LEASE)
    jobs = [redis_queue.create("t.sleep", {"seconds": 1.5}, attempts=3).save() for _ in range(4)]
    wait_until(lambda: all(j.logs() for j in jobs), 15, message="the first worker runs all four")
    first.send_signal(signal.SIGKILL)
    first.wait(5)
    assert all(j.refresh().state == "active" for j in jobs)  # dead worker: leases left behind
    second = worker_process("--no-mirror", "--types=t.sleep", lease=LEASE)
    wait_until(lambda: all(j.refresh().state == "complete" for j in jobs), 20,
               message="every job recovered and completed")
    for job in jobs:
        assert job.attempts_made == 2 and job.result == {"pid": second.pid}
        assert _pids(job) == [first.pid, second.pid]
        assert ("failed attempt", ["stalled", 1]) in events(redis_queue, job.id)
    assert redis_queue.counts() | {"complete": 0} == dict.fromkeys(redis_queue.counts(), 0)
    _stop(second)


def test_a_handler_that_exits_the_process_is_retried(redis_queue, worker_process):
    job = redis_queue.create("t.exit", attempts=2).save()
    first = worker_process("--no-mirror", "--types=t.exit", lease=LEASE)
    assert first.wait(15) == 1  # os._exit(1) on the first attempt
    second = worker_process("--no-mirror", "--types=t.exit", lease=LEASE)
    wait_until(lambda: job.refresh().state == "complete", 20)
    assert job.result == "survived" and job.attempts_made == 2 and job.error == "stalled"
    assert _pids(job) == [first.pid, second.pid]
    _stop(second)


def test_a_frozen_worker_cannot_finish_the_job_another_took_over(redis_queue, worker_process):
    job = redis_queue.create("t.steps", {"steps": 15, "pause": 0.1}, attempts=3).save()
    zombie = worker_process("--no-mirror", "--types=t.steps", lease=LEASE)
    wait_until(lambda: job.logs(), 15)
    os.kill(zombie.pid, signal.SIGSTOP)  # frozen past its lease, holding the job
    try:
        rescuer = worker_process("--no-mirror", "--types=t.steps", lease=LEASE)
        wait_until(lambda: rescuer.pid in _pids(job), 15, message="the rescuer took the job over")
    finally:
        os.kill(zombie.pid, signal.SIGCONT)  # thawed while the rescuer runs the job
    wait_until(lambda: job.refresh().state == "complete", 15)
    zombie_out = _stop(zombie)
    assert job.result == {"pid": rescuer.pid} and job.attempts_made == 2
    pids = _pids(job)
    takeover = pids.index(rescuer.pid)
    assert set(pids[:takeover]) == {zombie.pid}
    assert zombie.pid not in pids[takeover:], "the zombie wrote to a job it no longer held"
    assert [e for e, _ in events(redis_queue, job.id)].count("complete") == 1
    assert "lost" in zombie_out, zombie_out  # it noticed: lease lost / finished after losing it
    _stop(rescuer)


def test_a_frozen_worker_cannot_complete_the_job_another_took_over(redis_queue, worker_process):
    """t.sleep writes nothing while it runs: the zombie's only write is its completion."""
    job = redis_queue.create("t.sleep", {"seconds": 2}, attempts=3).save()
    zombie = worker_process("--no-mirror", "--types=t.sleep", lease=LEASE)
    wait_until(lambda: job.logs(), 15)
    os.kill(zombie.pid, signal.SIGSTOP)
    try:
        rescuer = worker_process("--no-mirror", "--types=t.sleep", lease=LEASE)
        wait_until(lambda: rescuer.pid in _pids(job), 15, message="the rescuer took the job over")
    finally:
        os.kill(zombie.pid, signal.SIGCONT)  # its handler's 2 s have passed: it returns at once
    wait_until(lambda: job.refresh().state == "complete", 15)
    assert job.result == {"pid": rescuer.pid} and job.attempts_made == 2
    assert [e for e, _ in events(redis_queue, job.id)].count("complete") == 1
    zombie_out = _stop(zombie)  # a drain: it settles the job it held (refused) before exiting
    assert "lost" in zombie_out, zombie_out  # lease lost / finished after losing it
    _stop(rescuer)


def test_sigterm_waits_for_the_shutdown_timeout_then_fails_the_job_as_shutdown(redis_queue,
                                                                               worker_process):
    job = redis_queue.create("t.sleep", {"seconds": 30}, attempts=2).save()
    waiting = redis_queue.create("t.sleep", {"seconds": 30}, priority="low").save()
    proc = worker_process("--no-mirror", "--types=t.sleep", "--concurrency=1", "--shutdown-timeout=300")
    wait_until(lambda: job.logs(), 15)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    assert job.refresh().state == "inactive"  # retried later: attempts remain
    assert (job.error, job.attempts_made) == ("shutdown", 1)
    assert waiting.refresh().state == "inactive" and waiting.logs() == []
