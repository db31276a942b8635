"""Hearing other processes: a thread following a queue's event stream, and Kue's per-job
listeners (``job.on("complete", fn)``) fed from it and from this process's own events.

Kue sent events over pub/sub, so a listener that was reconnecting missed them for good (Kue
issues #498, #1112). The stream keeps them: a follower that loses Redis reconnects and resumes
after the last entry it read.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, Callable

from . import events
from .errors import InvalidJob, KueError
from .events import JOB_EVENTS, Event
from .redis_client import UNREACHABLE

if TYPE_CHECKING:
    from .job import Job
    from .queue import Queue

logger = logging.getLogger("django_kue.events")

FINAL_EVENTS = ("complete", "failed", "remove")  # a job's listeners are dropped after these
RECENT = 10_000  # events kept to replay to listeners registered just after the job's save
GRACE_S = 5.0  # a new follower stays this long even before anyone registers
BLOCK_MS = 500  # longest wait of one read; also how fast a stopped follower exits


class JobListeners:
    """The process-wide map (prefix, job id) -> {event: [fn]}; ``fn(*args)`` gets Kue's event
    arguments. Entries are dropped after complete, failed or remove (Kue kept removed jobs'
    listeners forever, issue #401)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_job: dict[tuple[str, int], dict[str, list[Callable[..., Any]]]] = {}
        self._armed: weakref.WeakSet[Job] = weakref.WeakSet()  # unsaved jobs with listeners
        self._recent: collections.deque[tuple[str, Event]] = collections.deque(maxlen=RECENT)

    def wants(self) -> bool:
        return bool(self._by_job) or bool(self._armed)

    def watching(self, prefix: str) -> bool:
        return any(key[0] == prefix for key in list(self._by_job)) or any(
            job.queue is not None and job.queue.config.prefix == prefix for job in list(self._armed))

    def arm(self, job: Job) -> None:
        """An unsaved job has listeners: keep events coming back until it is saved."""
        self._armed.add(job)
        events.subscribe(self)

    def add(self, prefix: str, job_id: int, listeners: dict[str, list[Callable[..., Any]]],
            job: Job | None = None) -> None:
        """Register listeners; events of the job that arrived since its save are replayed."""
        events.subscribe(self)
        with self._lock:
            if job is not None:
                self._armed.discard(job)
            mine = self._by_job.setdefault((prefix, job_id), {})
            for name, fns in listeners.items():
                mine.setdefault(name, []).extend(fns)
            past = [e for p, e in self._recent if p == prefix and e.job_id == job_id]
            calls = [(fn, e) for e in past for fn in listeners.get(e.event, ())]
            if any(e.event in FINAL_EVENTS for e in past):
                del self._by_job[(prefix, job_id)]
        _call(calls)

    def events(self, prefix: str, batch: list[Event], remote: bool) -> None:
        with self._lock:
            calls = []
            for event in batch:
                self._recent.append((prefix, event))
                mine = self._by_job.get((prefix, event.job_id))
                if mine is None:
                    continue
                calls += [(fn, event) for fn in mine.get(event.event, ())]
                if event.event in FINAL_EVENTS:
                    del self._by_job[(prefix, event.job_id)]
        _call(calls)

    def error(self, prefix: str, error: BaseException) -> None:
        pass

    def clear(self) -> None:
        with self._lock:
            self._by_job.clear()
            self._armed = weakref.WeakSet()
            self._recent.clear()


def _call(calls: list[tuple[Callable[..., Any], Event]]) -> None:
    for fn, event in calls:
        try:
            fn(*event.args)
        except Exception:
            logger.exception("listener of job %s %r failed", event.job_id, event.event)


job_listeners = JobListeners()


class Follower:
    """Reads a queue's event stream from where it started and hands every event caused by
    another process to the listeners (``remote=True``). Runs while pinned or while per-job
    listeners of its prefix wait."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self.prefix = queue.config.prefix
        self.pins = 0
        self.after = "0-0"
        self.reconnects = 0
        self.started = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    def start(self) -> Follower:
        # resolved now, not in the thread: whatever happens after this call is heard
        self.after = events.last_id(self.queue)
        self.started = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"kue-events:{self.prefix}",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def needed(self) -> bool:
        # a grace period: whoever started it registers its listeners just after
        return (self.pins > 0 or job_listeners.watching(self.prefix)
                or time.monotonic() - self.started < GRACE_S)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                reply = self.queue.client.xread({self.queue.keys.events: self.after},
                                                count=500, block=BLOCK_MS)
            except UNREACHABLE as exc:  # also a failover's or a cluster's passing errors
                failures += 1
                if failures == 1:
                    logger.warning("event listener lost its Redis connection (%s); reconnecting",
                                   exc)
                    events.report_error(self.prefix, exc)
                self._stop.wait(min(5.0, 0.05 * 2 ** min(failures, 7)))
                continue
            if failures:
                self.reconnects += 1
                logger.warning("event listener reconnected to Redis; resuming after %s", self.after)
                failures = 0
            self._deliver(reply)
            with _lock:
                if not self.needed():
                    self._stop.set()
                    _followers.pop(id(self.queue), None)

    def _deliver(self, reply: Any) -> None:
        mine = events.origin()
        remote = []
        for _stream, entries in reply or []:
            for stream_id, fields in entries:
                event = Event.parse(stream_id, fields)
                self.after = event.stream_id
                if event.origin != mine:
                    remote.append(event)
        if remote:
            events.publish(self.prefix, remote, remote=True)


_lock = threading.Lock()
_followers: dict[int, Follower] = {}


def follow(queue: Queue, pin: bool = False) -> Follower | None:
    """The queue's running follower, started if needed (None when events are off)."""
    if not queue.config.events:
        return None
    with _lock:
        follower = _followers.get(id(queue))
        if follower is None or not follower.alive:
            follower = _followers[id(queue)] = Follower(queue).start()
        if pin:
            follower.pins += 1
        return follower


def unpin(follower: Follower) -> None:
    with _lock:
        follower.pins = max(0, follower.pins - 1)


def listen(job: Job, event: str, fn: Callable[..., Any]) -> None:
    """``job.on(event, fn)``: before save the listeners wait on the job (registered by its
    save); after, they are registered at once. Either way the queue's follower is started
    first, so events from other processes after this call are heard."""
    queue = job._bound()
    if not queue.config.job_events:
        raise KueError("per-job listeners are off (KUE['JOB_EVENTS'] = False)")
    if event not in JOB_EVENTS:
        raise InvalidJob(f"unknown job event {event!r}; one of: {', '.join(JOB_EVENTS)}")
    if not callable(fn):
        raise InvalidJob(f"a listener must be callable, not {fn!r}")
    follow(queue)
    if job.id is None:
        job._listeners.setdefault(event, []).append(fn)
        job_listeners.arm(job)
    else:
        job_listeners.add(queue.config.prefix, job.id, {event: [fn]})
