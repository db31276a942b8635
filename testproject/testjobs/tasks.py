"""Handlers the test suite runs in worker subprocesses (crashes, hangs, slow jobs).

Each records what it did in Redis under the job's own log, so a test can count runs
across processes without any shared memory.
"""

import os
import time

from django_kue import kue_job


@kue_job("t.sleep", concurrency=4, attempts=3)
def sleep_job(job):
    job.log("run by pid %d", os.getpid())
    deadline = time.monotonic() + float(job.data.get("seconds", 1))
    while time.monotonic() < deadline:
        time.sleep(0.01)
    return {"pid": os.getpid()}


@kue_job("t.exit", attempts=2)
def exit_job(job):
    """Kills its own process on the first attempt, mid-job."""
    job.log("run by pid %d", os.getpid())
    if job.attempts_made == 0:
        os._exit(1)
    return "survived"


@kue_job("t.echo", concurrency=8)
def echo_job(job):
    return job.data


@kue_job("t.steps", attempts=3)
def steps_job(job):
    """Logs a line per step, so a worker that lost the job meets LeaseLost at its next step."""
    steps, pause = int(job.data.get("steps", 10)), float(job.data.get("pause", 0.1))
    for step in range(steps):
        job.log("step %d by pid %d", step, os.getpid())
        time.sleep(pause)
    return {"pid": os.getpid()}


@kue_job("t.async", concurrency=8)
async def async_job(job):
    """An async handler: runs as a coroutine on the worker's event loop."""
    import asyncio

    await asyncio.sleep(0)
    job.log("squared on the event loop")
    return {"square": job.data["n"] ** 2, "async": True}
