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
