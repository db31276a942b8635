"""Keeping held jobs honest while their handlers run.

A claimed job is only leased: if this worker stops renewing, another one recovers the job, so
a dead worker loses nothing. The other side of that bargain is kept here, off the slot
threads (a handler may hang or block for minutes): renew the leases of the jobs still held,
give up those whose lease was lost anyway, fail those past their ttl (or a pause or shutdown
timeout) without waiting for their handlers, and recover other workers' stalled jobs.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Iterable

import redis

from . import clock, workers
from .handlers import Running

if TYPE_CHECKING:
    from .worker import Worker

logger = logging.getLogger("django_kue.worker")


class Heartbeat:
    """The ``kue-heartbeat`` thread's work, and the expiry of jobs whose handlers still run."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self._ending = threading.Event()  # set when the run ends: the loop stops once idle
        self._nudge = threading.Event()  # a new ttl deadline (or the end): re-plan the sleep

    def nudge(self) -> None:
        """A job with a ttl started: the loop may be asleep until long after its deadline."""
        self._nudge.set()

    def stop(self) -> None:
        """End ``run()`` as soon as no job is running."""
        self._ending.set()
        self._nudge.set()

    def run(self) -> None:
        worker = self.worker
        interval = max(50.0, worker.queue.config.lease / 3)
        next_beat = 0.0
        while not (self._ending.is_set() and not worker._running):
            now = clock.monotonic_ms()
            try:
                self._expire_ttl(now)
                if now >= next_beat:
                    self._renew()
                    worker.queue.recover_stalled()
                    workers.beat(worker)  # the operators' view: GET /workers, /metrics
                    next_beat = now + interval
            except redis.ConnectionError as exc:
                if now >= next_beat:  # once per beat, not in a tight loop
                    logger.warning("heartbeat: Redis unreachable (%s)", exc)
                next_beat = now + min(interval, 1000.0)
            deadlines = [r.deadline for r in list(worker._running.values()) if r.deadline]
            wake_at = min([next_beat, *deadlines])
            self._nudge.wait(max(0.005, (wake_at - clock.monotonic_ms()) / 1000))
            self._nudge.clear()

    def expire(self, running: Iterable[Running], reason: str) -> None:
        """Fail jobs whose handlers still run (ttl, shutdown, pause timeout) and free their slots.

        With Redis unreachable the slot is freed all the same: the job's lease then expires and
        a worker recovers it, so it is not lost."""
        for r in running:
            if not self.worker._settle(r):
                continue
            logger.warning("%s %s: failed with reason %r", r.job.type, r.job.id, reason)
            try:
                self.worker._finisher.fail(r, reason, "")
            except redis.ConnectionError as exc:
                logger.warning("%s %s: Redis unreachable (%s); its lease will expire and it will "
                               "be recovered", r.job.type, r.job.id, exc)
            finally:
                self._abandon(r)

    def _renew(self) -> None:
        worker = self.worker
        running = list(worker._running.values())
        for r in running:
            try:
                r.job.flush_progress()
            except Exception:  # a lost job's progress: the renewal below settles it
                pass
        running += list(worker._finishing.values())  # outcome not written yet: still held
        if not running:
            return
        pairs: list[Any] = []
        for r in running:
            pairs += [r.job.id, r.job._token]
        lost = worker.queue.scripts("heartbeat", clock.now_ms(), worker.queue.config.lease, *pairs)
        for job_id in lost:
            held = worker._running.get(int(job_id))
            if held is not None and worker._settle(held):
                logger.warning("%s %s: lease lost, abandoning it", held.job.type, held.job.id)
                self._abandon(held)

    def _expire_ttl(self, now: float) -> None:
        due = [r for r in list(self.worker._running.values())
               if r.deadline is not None and now >= r.deadline]
        self.expire(due, "TTL exceeded")

    def _abandon(self, running: Running) -> None:
        """The job is settled without its thread: free the slot with a fresh thread."""
        self.worker._slots[running.job.type].add_thread()
        self.worker._release(running)
