"""Writing outcomes off the slot threads, in batches.

A handler's return is not the end of its job: the outcome still has to reach Redis. Doing that
on the slot thread would cost every job a round trip before its slot could take the next one;
one thread that writes whatever has piled up meanwhile in one ``complete.lua`` call keeps the
slots busy and the scripts few. Failures are written one by one (each has its own backoff).
"""

from __future__ import annotations

import logging
import queue as stdqueue
import time
from typing import TYPE_CHECKING, Any

import redis

from . import backoff, clock, codec, events
from .handlers import Outcome, Running

if TYPE_CHECKING:
    from .worker import Worker

logger = logging.getLogger("django_kue.worker")

_STOP = object()
BATCH = 500  # outcomes written per round at most


class Finisher:
    """The ``kue-finisher`` thread's work: outcomes in, batched complete/fail scripts out."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self._outcomes: stdqueue.SimpleQueue[Any] = stdqueue.SimpleQueue()

    def put(self, outcome: Outcome) -> None:
        """Queue a settled job's outcome for writing (any thread)."""
        self._outcomes.put(outcome)

    def stop(self) -> None:
        """End ``run()`` once the outcomes queued before this are written."""
        self._outcomes.put(_STOP)

    def run(self) -> None:
        while True:
            item = self._outcomes.get()
            batch = []
            while item is not _STOP:
                batch.append(item)
                if len(batch) >= BATCH:
                    break
                try:
                    item = self._outcomes.get_nowait()
                except stdqueue.Empty:
                    break
            if batch:
                self._persist(batch)
            if item is _STOP:
                return

    def fail(self, running: Running, error: str, stack: str) -> str:
        """Write one failed attempt; returns the job's new state, or "lost" if it is no
        longer this worker's (its token fenced the write)."""
        job = running.job
        override = backoff.callable_delay(running.spec.backoff, job.attempts_made + 1, job.delay)
        reply = self.worker.queue.scripts("fail", clock.now_ms(), job.id, job._token, error, stack,
                                          override)
        return "lost" if not reply else codec.text(reply[0]) or "failed"

    def _persist(self, batch: list[Outcome]) -> None:
        while True:
            try:
                self._write(batch)
                return
            except redis.ConnectionError as exc:
                logger.warning("Redis unreachable finishing %d job(s) (%s); retrying", len(batch), exc)
                events.report_error(self.worker.queue.config.prefix, exc)
                time.sleep(0.5)

    def _write(self, batch: list[Outcome]) -> None:
        completes = [o for o in batch if o.kind == "complete"]
        if completes:
            args: list[Any] = [clock.now_ms()]
            for o in completes:
                args += [o.running.job.id, o.running.job._token, o.duration, o.result]
            accepted = self.worker.queue.scripts("complete", *args)
            for o, ok in zip(completes, accepted):
                self._done(o, "complete" if ok else "lost")
        for o in batch:
            if o.kind == "fail":
                self._done(o, self.fail(o.running, o.error, o.stack))

    def _done(self, outcome: Outcome, state: str) -> None:
        worker = self.worker
        job = outcome.running.job
        with worker._lock:
            freed = worker._finishing.pop(outcome.running.job_id, None) is not None  # when the handler returned
        if not freed:
            worker._release(outcome.running)
        if state == "lost":
            logger.warning("%s %s finished after this worker lost it (ignored)", job.type, job.id)
        elif outcome.kind == "complete":
            logger.info("%s %s complete in %d ms", job.type, job.id, outcome.duration)
        else:
            logger.info("%s %s failed attempt -> %s in %d ms: %s", job.type, job.id, state,
                        outcome.duration, outcome.error)
        if worker.on_outcome is not None:
            worker.on_outcome(job, state, outcome)
