"""The worker: claim jobs of its types, run them in their slots, finish them in batches.

The fetch loop (this thread) only claims and dispatches, so that nothing a job does, nor the
writing of its outcome, delays the next claim: handlers run in a slot thread per unit of each
type's concurrency, outcomes are written by the finisher (``finisher.py``), and leases, ttl
and stalled jobs are the heartbeat's (``heartbeat.py``). What they share (free slots, the jobs
held) lives here, under ``_lock``.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any, Callable, Iterable, Mapping

import redis

from . import aio, clock, events, workers
from .config import worker_identity
from .context import HandlerContext
from .doorbell import Doorbell
from .finisher import Finisher
from .handlers import HandlerSpec, Outcome, Running, Slots, execute
from .heartbeat import Heartbeat
from .intake import claimed_job
from .job import Job
from .queue import Queue

logger = logging.getLogger("django_kue.worker")


class Worker:
    def __init__(
        self,
        queue: Queue,
        handlers: Mapping[str, HandlerSpec] | Iterable[HandlerSpec],
        *,
        worker_id: str | None = None,
        burst: bool = False,
        max_jobs: int | None = None,
        shutdown_timeout: int | None = None,
        idle_wait: int = 1000,
        on_outcome: Callable[[Job, str, Outcome], None] | None = None,
    ) -> None:
        specs = list(handlers.values()) if isinstance(handlers, Mapping) else list(handlers)
        if not specs:
            raise ValueError("a worker needs at least one handler")
        self.queue = queue
        self.handlers = {spec.type: spec for spec in specs}
        self.id = worker_id or worker_identity()
        self.burst = burst
        self.max_jobs = max_jobs
        self.shutdown_timeout = shutdown_timeout  # ms; None waits for running jobs forever
        self.idle_wait = idle_wait  # ms an idle worker sleeps at most between two claims
        self.on_outcome = on_outcome
        self.stopping = False
        self.processed = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._free = {spec.type: spec.concurrency for spec in specs}
        self._paused: set[str] = set()
        self._claiming = threading.Lock()  # held across a claim; pause() waits for it
        self._changes = 0  # slots freed + resumes, so the fetch loop cannot miss a wake-up
        self._changes_seen = 0
        self._listening: frozenset[str] = frozenset()
        self._running: dict[int, Running] = {}
        self._finishing: dict[int, Running] = {}  # handler returned, outcome not written yet
        self._slots: dict[str, Slots | aio.AsyncSlots] = {}
        self._doorbell: Doorbell | None = None
        self._finisher = Finisher(self)
        self._heartbeat = Heartbeat(self)

    # -- control (any thread) ----------------------------------------------------------------
    def stop(self) -> None:
        """Graceful: stop claiming; running jobs finish (within ``shutdown_timeout``)."""
        self.stopping = True
        self._wake()

    def pause(self, type: str, timeout: int | None = None) -> None:
        """Stop claiming ``type``. With ``timeout`` (ms), the jobs of the type running now
        that are still running then, with the type still paused, fail with "shutdown"
        (jobs started after a resume are not touched). Waits for a claim in flight, so no
        job of the type starts once this returns."""
        with self._claiming, self._lock:
            self._paused.add(type)
            running = [r for r in self._running.values() if r.job.type == type]
        if timeout is not None:
            timer = threading.Timer(timeout / 1000, self._expire_paused, args=(type, running))
            timer.daemon = True
            timer.start()

    def _expire_paused(self, type_: str, running: list[Running]) -> None:
        if type_ in self._paused:
            self._heartbeat.expire(running, "shutdown")

    def resume(self, type: str) -> None:
        with self._lock:
            self._paused.discard(type)
            self._changes += 1
        self._wake()

    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT: the first drains, the second stops running jobs at once."""

        def react(signum: int) -> None:
            if self.stopping:
                logger.warning("second signal: failing running jobs now")
                self.shutdown_timeout = 0
            else:
                logger.info("signal %s: finishing running jobs, then stopping", signum)
            self.stop()

        def handle(signum: int, _frame: Any) -> None:
            # Not here: a handler runs in the main thread between two bytecodes, maybe while
            # that thread holds the doorbell's or the worker's lock, which stop() takes too
            # (a self-deadlock, seen on SIGTERM during the doorbell's CLIENT ID).
            threading.Thread(target=react, args=(signum,), name="kue-signal", daemon=True).start()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)

    # -- the loop --------------------------------------------------------------------------
    def run(self) -> int:
        """Work until stopped (or, in burst mode, until nothing is left); returns jobs run."""
        self._doorbell = Doorbell(self.queue.client)
        coroutines = aio.slots(self.handlers.values(), self)
        for spec in self.handlers.values():
            self._slots[spec.type] = coroutines.get(spec.type) or Slots(spec, self._run_one, self.id)
        finisher = threading.Thread(target=self._finisher.run, name="kue-finisher", daemon=True)
        heartbeat = threading.Thread(target=self._heartbeat.run, name="kue-heartbeat", daemon=True)
        finisher.start()
        heartbeat.start()
        logger.info("worker %s started: %s", self.id,
                    ", ".join(f"{s.type}×{s.concurrency}" for s in self.handlers.values()))
        try:
            self._fetch_loop()
        finally:
            self.stopping = True
            self._drain()
            self._finisher.stop()
            finisher.join()
            self._heartbeat.stop()
            heartbeat.join()
            for slots in self._slots.values():
                slots.close()
            self._doorbell.close()
            workers.gone(self)
            logger.info("worker %s stopped after %d job(s)", self.id, self.processed)
        return self.processed

    def _fetch_loop(self) -> None:
        failures = 0
        while not self.stopping:
            wants = self._wants()
            busy = bool(self._running or self._finishing)  # a job finishing after the claim may be re-queued
            try:
                next_due, claimed = self._claim(wants)
                failures = 0
            except redis.ConnectionError as exc:
                failures += 1
                delay = min(5.0, 0.1 * 2 ** min(failures, 6))
                logger.warning("Redis unreachable (%s); retrying in %.1f s", exc, delay)
                events.report_error(self.queue.config.prefix, exc)
                time.sleep(delay)
                continue
            if claimed:
                continue
            if self._finished(next_due, wants, busy):
                return
            self._sleep(wants, next_due)

    def _wants(self) -> dict[str, int]:
        batch = self.queue.config.claim_batch
        if self.max_jobs is not None:
            batch = min(batch, max(0, self.max_jobs - self.processed - len(self._running)))
        with self._lock:
            self._changes_seen = self._changes
            return {t: min(n, batch) for t, n in self._free.items()
                    if n > 0 and batch > 0 and t not in self._paused}

    def _claim(self, wants: dict[str, int]) -> tuple[int, int]:
        pairs: list[Any] = []
        config = self.queue.config
        with self._claiming:
            for type_, count in wants.items():
                if type_ not in self._paused:  # paused since _wants() looked
                    pairs += [type_, self.handlers[type_].claim_arg(count)]
            reply = self.queue.scripts("claim", clock.now_ms(), self.id, config.lease,
                                       config.promote_limit, *pairs)
            for flat in reply[2:]:
                self._dispatch(flat)
        return int(reply[0]), len(reply) - 2

    def _dispatch(self, flat: list[Any]) -> None:
        job = claimed_job(self.queue, flat, self.handlers)  # None: unreadable, failed already
        if job is None:
            return
        spec = self.handlers[job.type]
        started = clock.monotonic_ms()
        running = Running(job, spec, started, started + job.ttl if job.ttl else None)
        with self._lock:
            self._free[job.type] -= 1
            self._running[running.job_id] = running
        self._slots[job.type].inbox.put(running)
        if running.deadline is not None:
            self._heartbeat.nudge()

    def _finished(self, next_due: int, wants: dict[str, int], busy: bool) -> bool:
        """Burst mode ends only when a claim that asked for every type found nothing, with no
        job running before or since (a failed one may have been re-queued) and none due."""
        if self.max_jobs is not None and self.processed >= self.max_jobs and not self._running:
            return True
        if not self.burst or busy or len(wants) < len(self.handlers):
            return False
        with self._lock:
            idle = not self._running and not self._finishing
        due_now = 0 <= next_due <= clock.now_ms()
        return idle and not due_now

    def _sleep(self, wants: dict[str, int], next_due: int) -> None:
        timeout = float(self.idle_wait)
        if next_due >= 0:
            timeout = max(1.0, min(timeout, next_due - clock.now_ms()))
        if not wants:  # every slot busy: wait for one to come free
            with self._changed:
                # a slot freed (or a resume) since _wants() looked has notified already
                if self._changes == self._changes_seen:
                    self._changed.wait(timeout / 1000)
            return
        keys = [self.queue.keys.timer] + [self.queue.keys.wake(t) for t in wants]
        self._listening = frozenset(wants)
        try:
            self._doorbell.wait(keys, timeout)  # type: ignore[union-attr]  # run() set it
        except redis.ConnectionError as exc:
            logger.warning("Redis unreachable while idle (%s)", exc)
            time.sleep(min(1.0, timeout / 1000))
        finally:
            self._listening = frozenset()

    def _wake(self) -> None:
        with self._changed:
            self._changed.notify_all()
        if self._doorbell is not None:
            self._doorbell.ring()

    # -- running a job (slot threads) --------------------------------------------------------
    def _run_one(self, running: Running) -> bool:
        outcome = execute(running, HandlerContext(self, running.spec.type))
        if not self._settle(running):
            return False
        # A completed job's slot is free once the handler returns: the next claim overlaps
        # the completion's write, and the job stays fenced by its token (and its lease, still
        # renewed) until then. A failure keeps its slot until written, so that the job's own
        # events (failed attempt, enqueue, then the retry's start) reach signals in order.
        if outcome.kind == "complete":
            self._release(running, finishing=True)
        self._finisher.put(outcome)
        return True

    def _settle(self, running: Running) -> bool:
        with self._lock:
            if running.settled:
                return False
            running.settled = True
            return True

    def _release(self, running: Running, finishing: bool = False) -> None:
        type_ = running.job.type
        with self._lock:
            self._running.pop(running.job_id, None)
            if finishing:
                self._finishing[running.job_id] = running
            self._free[type_] += 1
            self.processed += 1
            self._changes += 1
            was_full = self._free[type_] == 1
        if was_full and type_ not in self._listening:
            self._wake()
        else:
            with self._changed:
                self._changed.notify_all()

    # -- shutdown ------------------------------------------------------------------------------
    def _drain(self) -> None:
        deadline = None
        if self.shutdown_timeout is not None:
            deadline = time.monotonic() + self.shutdown_timeout / 1000
        with self._changed:
            while self._running:
                left = None if deadline is None else deadline - time.monotonic()
                if self.shutdown_timeout == 0 or (left is not None and left <= 0):
                    break
                self._changed.wait(0.05 if left is None else min(0.05, left))
        if self._running:
            logger.warning("shutdown timeout: failing %d running job(s)", len(self._running))
            self._heartbeat.expire(list(self._running.values()), "shutdown")
