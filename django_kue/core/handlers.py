"""What a worker runs: a handler per job type, and the threads that run each type's slots."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import queue as stdqueue
import threading
import traceback
from typing import Any, Callable, cast

from . import clock, codec
from .errors import InvalidJob, LeaseLost
from .job import Job
from .ratelimit import RateLimit


@dataclasses.dataclass(frozen=True)
class HandlerSpec:
    """A job type's handler ``fn(job)`` or ``fn(job, ctx)`` and how many run at once."""

    type: str
    fn: Callable[..., Any]
    concurrency: int = 1
    backoff: Callable[[int, int], float] | None = None  # a custom backoff (ms)
    rate_limit: RateLimit | None = None  # jobs per window across all workers (ratelimit.py)

    def __post_init__(self) -> None:
        if not callable(self.fn):
            raise InvalidJob(f"the handler of {self.type!r} is not callable")
        if isinstance(self.concurrency, bool) or not isinstance(self.concurrency, int) \
                or not 1 <= self.concurrency <= 10_000:
            raise InvalidJob(f"concurrency of {self.type!r} must be 1..10000, not {self.concurrency!r}")

    def claim_arg(self, want: int) -> int | str:
        """The count claim.lua gets for this type (with the rate limit, when there is one)."""
        return want if self.rate_limit is None else self.rate_limit.claim_arg(want)

    @functools.cached_property  # inspect.signature() per job showed in the profile
    def takes_ctx(self) -> bool:
        try:
            params = inspect.signature(self.fn).parameters.values()
        except (TypeError, ValueError):
            return False
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in params)


@dataclasses.dataclass(eq=False)
class Running:
    """A job this worker holds. Settled once: by its handler's end, or by TTL / shutdown /
    a lost lease, whichever comes first; the other is then ignored."""

    job: Job
    spec: HandlerSpec
    started: float
    deadline: float | None
    settled: bool = False

    @property
    def job_id(self) -> int:
        """The held job's id (a claimed job is saved: its id is never None)."""
        return cast(int, self.job.id)


@dataclasses.dataclass
class Outcome:
    running: Running
    kind: str  # "complete" or "fail"
    duration: int
    result: str = ""
    error: str = ""
    stack: str = ""


def execute(running: Running, ctx: Any) -> Outcome:
    """Run the handler; its return value is the result, an exception fails the attempt."""
    job, spec = running.job, running.spec
    try:
        value = spec.fn(job, ctx) if spec.takes_ctx else spec.fn(job)
    except Exception as exc:  # the handler's failure is the job's failure, not the worker's
        return failed(running, exc)
    return returned(running, value)


def returned(running: Running, value: Any) -> Outcome:
    """The outcome of a handler that returned ``value``: its JSON is the job's result; a value
    JSON cannot hold fails the attempt (sync and async handlers alike)."""
    try:
        result = "" if value is None else codec.dumps(value, what="result")
    except Exception as exc:
        return failed(running, exc)
    return Outcome(running, "complete", _elapsed(running), result)


def failed(running: Running, exc: Exception) -> Outcome:
    """The outcome of a handler that raised: a lost lease needs no traceback, the rest do."""
    if isinstance(exc, LeaseLost):
        return Outcome(running, "fail", _elapsed(running), "", str(exc), "")
    stack = "".join(traceback.format_exception(exc))
    return Outcome(running, "fail", _elapsed(running), "", str(exc) or exc.__class__.__name__, stack)


def _elapsed(running: Running) -> int:
    return int(clock.monotonic_ms() - running.started)


class Slots:
    """The threads of one job type: ``concurrency`` of them, taking jobs from one inbox.

    A thread whose job was settled without it (TTL exceeded, shutdown, lease lost) leaves
    once its handler returns, and a fresh thread takes its place at once, so a hung handler
    never holds a slot.
    """

    def __init__(self, spec: HandlerSpec, run: Callable[[Running], object], name: str) -> None:
        self.spec = spec
        self.inbox: stdqueue.SimpleQueue[Running | None] = stdqueue.SimpleQueue()
        self._run = run
        self._name = name
        self._threads: list[threading.Thread] = []
        for _ in range(spec.concurrency):
            self.add_thread()

    def add_thread(self) -> None:
        thread = threading.Thread(target=self._loop, name=f"{self._name}:{self.spec.type}",
                                  daemon=True)
        self._threads.append(thread)
        thread.start()

    def _loop(self) -> None:
        while True:
            running = self.inbox.get()
            if running is None:
                return
            if not self._run(running):
                return  # settled elsewhere: a replacement thread already took this slot

    def close(self) -> None:
        for _ in self._threads:
            self.inbox.put(None)
