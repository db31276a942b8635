"""Helpers for your own tests: Kue's test mode, and a burst worker that runs in-process.

    from django_kue.testing import kue_test_mode, run_jobs

    def test_signup_sends_email():
        with kue_test_mode() as kue:
            signup("a@b.c")
        assert [j.type for j in kue.jobs] == ["email"]

    def test_email_job(kue_queue):          # jobs really saved (fakeredis or Redis)...
        send_email.enqueue({"to": "a@b.c"})
        assert run_jobs() == 1              # ...and run here, until the queue is empty
"""

from __future__ import annotations

import contextlib
import itertools
from typing import Iterable, Iterator, Sequence

from .connection import get_queue
from .core.job import Job
from .core.queue import Queue
from .core.worker import Worker
from .registry import handler_specs


class TestMode:
    """Kue's ``queue.testMode``: saved jobs are recorded in ``jobs`` instead of Redis.

    With ``process=True`` they are recorded and also saved for real (Kue's ``enter(true)``).
    """

    __test__ = False  # not a pytest test class

    def __init__(self, process: bool = False) -> None:
        self.process = process
        self.jobs: list[Job] = []
        self._ids = itertools.count(1)

    def record(self, jobs: Sequence[Job]) -> bool:
        """Called by ``Queue.save_jobs``; True means "handled, do not write to Redis"."""
        self.jobs.extend(jobs)
        if self.process:
            return False
        for job in jobs:
            job.id = next(self._ids)
            job.state = "delayed" if job.delay else "inactive"
        return True

    def clear(self) -> None:
        self.jobs.clear()

    def of_type(self, type: str) -> list[Job]:
        return [job for job in self.jobs if job.type == type]


@contextlib.contextmanager
def kue_test_mode(process: bool = False, queue: Queue | None = None) -> Iterator[TestMode]:
    queue = queue or get_queue()
    mode = TestMode(process)
    previous, queue.test_mode = queue.test_mode, mode
    try:
        yield mode
    finally:
        queue.test_mode = previous


def run_jobs(types: Iterable[str] | None = None, queue: Queue | None = None,
             max_jobs: int | None = None) -> int:
    """Run queued jobs of the registered types in this process until none is left.

    Returns how many were run (completed or failed). Delayed jobs that are not due stay.
    """
    worker = Worker(queue or get_queue(), handler_specs(types), burst=True, max_jobs=max_jobs,
                    idle_wait=50)
    return worker.run()
