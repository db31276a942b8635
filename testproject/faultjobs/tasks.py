"""The handler of the fault tests (tests/faults/), installed in worker processes only through
``KUE_EXTRA_APPS=testproject.faultjobs``.

Every run of a job is counted in Redis outside the queue's keys (``runs_key``: a hash of job
id -> runs), so the test can tell jobs run twice from jobs run once across worker processes
that were killed. ``exit_key`` is a list of tokens: a handler that pops one in the middle of
its job calls ``os._exit()``, as a crashing extension or an OOM kill would.
"""

import os
import time

from django_kue import kue_job


def runs_key(prefix: str) -> str:
    return f"kue-faults:{prefix}:runs"


def exit_key(prefix: str) -> str:
    return f"kue-faults:{prefix}:exit"


@kue_job("f.work", concurrency=25, attempts=10)
def work(job):
    client, prefix = job.queue.client, job.queue.config.prefix
    client.hincrby(runs_key(prefix), str(job.id), 1)
    half = float(job.data.get("seconds", 0.1)) / 2
    time.sleep(half)
    if job.data.get("may_exit") and client.lpop(exit_key(prefix)):
        os._exit(3)
    time.sleep(half)
    return {"n": job.data.get("n")}
