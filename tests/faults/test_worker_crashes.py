"""Worker crashes lose nothing: 20,000 jobs through 4 worker processes while a driver kills a
random worker every 2 s (SIGKILL, or a handler calling ``os._exit()`` mid-job) and starts a new
one, for 60 s. Once the queue drains every job is complete, none active or queued, none lost;
jobs run twice are counted, and there are at most as many re-runs as jobs the dead workers held.

Sizes: KUE_FAULT_JOBS (20000), KUE_FAULT_SECONDS (60); the lease is 5 s (at 3 s, a heartbeat
starved by a loaded 2-core machine could let a live worker lose a lease). A dead worker's jobs
come back when their lease expires and run again (at-least-once): each such recovery is a
failed attempt ("stalled"), so the jobs have 10 attempts.
"""

from __future__ import annotations

import random
import time

import pytest

from testproject.faultjobs.tasks import exit_key, runs_key

from .harness import env_int, held_by, report, run_counts, states

pytestmark = [pytest.mark.redis, pytest.mark.slow]

WORKERS, CONCURRENCY, LEASE, EVERY = 4, 25, 5000, 2.0


def job_seconds(jobs: int, seconds: int) -> float:
    """How long one job sleeps so that the run lasts about ``seconds``: the slots, with about a
    worker's worth of them restarting at any time."""
    slots = (WORKERS - 1) * CONCURRENCY
    return max(0.01, min(1.0, slots * seconds / jobs))


def crash_run(queue, worker_pool, capsys, mode: str) -> None:
    jobs, seconds = env_int("KUE_FAULT_JOBS", 20_000), env_int("KUE_FAULT_SECONDS", 60)
    client, prefix = queue.client, queue.config.prefix
    sleep = job_seconds(jobs, seconds)
    created = queue.create_many(
        ("f.work", {"n": n, "seconds": sleep, "may_exit": mode == "exit"}, {"attempts": 10})
        for n in range(jobs))
    ids = [job.id for job in created]
    pool = worker_pool(LEASE)
    held: list[set[int]] = []
    faults = 0
    try:
        started = time.monotonic()
        pool.start(WORKERS)
        next_fault = started + EVERY
        while time.monotonic() < started + seconds and queue.counts()["complete"] < jobs:
            for proc in pool.dead():  # os._exit() in a handler, or the SIGKILL below
                held.append(held_by(queue, proc.pid))
                pool.replace(proc)
            if time.monotonic() >= next_fault:
                next_fault += EVERY
                faults += 1
                if mode == "kill":
                    victim = random.choice(pool.procs)
                    victim.kill()
                    victim.wait(10)
                else:
                    client.rpush(exit_key(prefix), "1")  # the next handler to look exits
            time.sleep(0.02)  # the driver's tick
        client.delete(exit_key(prefix))
        kill_phase = time.monotonic() - started
        for proc in pool.dead():
            held.append(held_by(queue, proc.pid))
            pool.replace(proc)
        drained = _drain(queue, jobs, timeout=180)
        wall = time.monotonic() - started
        runs = run_counts(client, runs_key(prefix))
    finally:
        pool.stop()
        client.delete(runs_key(prefix), exit_key(prefix))
    _check_and_report(queue, ids, runs, held, capsys, mode=mode, faults=faults, pool=pool,
                      kill_phase=kill_phase, wall=wall, drained=drained, sleep=sleep)


def _drain(queue, jobs: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = queue.counts()
        if counts["complete"] + counts["failed"] >= jobs and not (
                counts["active"] or counts["inactive"] or counts["delayed"]):
            return True
        time.sleep(0.1)
    return False


def _check_and_report(queue, ids, runs, held, capsys, *, mode, faults, pool, kill_phase, wall,
                      drained, sleep) -> None:
    by_state = states(queue, ids)
    lost = len(ids) - by_state.get("complete", 0)
    stuck = sum(by_state.get(s, 0) for s in ("active", "inactive", "delayed"))
    duplicates = sum(1 for n in runs.values() if n > 1)
    reruns = sum(n - 1 for n in runs.values() if n > 1)
    held_jobs = set().union(*held) if held else set()
    report(f"worker-crashes-{mode}", {
        "jobs": len(ids), "workers": WORKERS, "lease_ms": LEASE, "job_ms": round(sleep * 1000),
        "faults": faults, "workers_died": len(held), "restarts": pool.started - WORKERS,
        "held_by_dead_workers": sum(len(h) for h in held), "complete": by_state.get("complete", 0),
        "failed": by_state.get("failed", 0), "lost": lost, "stuck": stuck,
        "never_ran": len(set(ids) - set(runs)), "duplicates": duplicates, "reruns": reruns,
        "kill_phase_s": round(kill_phase, 1), "wall_s": round(wall, 1)}, capsys)
    assert drained, f"the queue did not drain: {queue.counts()}\n{pool.output()[-3000:]}"
    assert lost == 0 and stuck == 0, by_state
    assert set(runs) == set(ids), "a job never ran"
    assert len(held) >= 2, "no worker died: the test proved nothing"
    assert duplicates <= len(held_jobs) and reruns <= sum(len(h) for h in held), (
        "jobs ran twice that no dead worker held: a live worker lost a lease")
    assert set(j for j, n in runs.items() if n > 1) <= held_jobs


def test_sigkill_a_random_worker_every_2_seconds(redis_queue, worker_pool, capsys):
    crash_run(redis_queue, worker_pool, capsys, "kill")


def test_a_handler_calls_os_exit_mid_job_every_2_seconds(redis_queue, worker_pool, capsys):
    crash_run(redis_queue, worker_pool, capsys, "exit")
