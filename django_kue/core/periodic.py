"""Periodic jobs: a schedule enqueues a job of its type at every tick (a cron expression, or
``every`` so many ms, aligned to the epoch), exactly once per tick however many workers run.

Every worker runs a :class:`Scheduler` thread; at a tick each one saves the schedule's job
with the tick attached, and ``save.lua`` creates it only for the first (``{q}:periodic:<name>``
holds the last tick taken: ``lua/includes/periodic.lua``).

Missed ticks (no worker ran): when a scheduler starts, it tries the most recent tick at or
before now, so a schedule runs once to catch up, never a backlog (as Celery beat and Huey).
A schedule seen for the first time starts at its next tick (its first tick is recorded, not
run), so deploying a daily 03:00 job at 10:00 does not run it at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from typing import Any, Sequence

import redis

from . import clock, codec
from .cron import Cron
from .errors import InvalidJob
from .job import Job
from .options import normalize

logger = logging.getLogger("django_kue.periodic")
MAX_SLEEP = 60.0  # s: a scheduler looks again at least this often (clock changes, new ticks)


@dataclasses.dataclass(frozen=True)
class Schedule:
    name: str  # unique among schedules; the key of its tick in Redis
    type: str
    cron: Cron | None = None
    every: int | None = None  # ms
    data: dict[str, Any] = dataclasses.field(default_factory=dict)
    options: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name or any(c in self.name for c in "{} \n"):
            raise InvalidJob(f"a schedule needs a name without spaces or braces, not {self.name!r}")
        if (self.cron is None) == (self.every is None):
            raise InvalidJob(f"schedule {self.name!r}: give either cron or every, not "
                             f"{'both' if self.cron else 'neither'}")
        if self.every is not None and (isinstance(self.every, bool) or not isinstance(self.every, int)
                                       or self.every < 1000):
            raise InvalidJob(f"schedule {self.name!r}: every must be at least 1 second, "
                             f"not {self.every!r} ms")
        if not isinstance(self.data, dict):
            raise InvalidJob(f"schedule {self.name!r}: data must be a dict")
        codec.dumps(self.data, what="schedule data")
        normalize(self.options)
        Job(None, self.type)  # validates the type

    @classmethod
    def build(cls, name: str, type: str, *, cron: str | None = None, every: Any = None,
              data: dict[str, Any] | None = None, options: dict[str, Any] | None = None,
              tz: dt.tzinfo = dt.UTC) -> Schedule:
        """From user input: a cron string, or every as ms or a timedelta."""
        if isinstance(every, dt.timedelta):
            every = int(every.total_seconds() * 1000)
        for what, value in (("data", data), ("options", options)):
            if value is not None and not isinstance(value, dict):
                raise InvalidJob(f"schedule {name!r}: {what} must be a dict, not {value!r}")
        return cls(name, type, Cron(cron, tz) if cron is not None else None, every,
                   dict(data or {}), dict(options or {}))

    def last_tick(self, now_ms: int) -> int | None:
        """The latest tick at or before now (ms)."""
        if self.every is not None:
            return now_ms // self.every * self.every
        found = self.cron.last_at_or_before(_datetime(now_ms))  # type: ignore[union-attr]  # no every: a cron
        return None if found is None else int(found.timestamp() * 1000)

    def next_tick(self, now_ms: int) -> int | None:
        """The first tick after now (ms)."""
        if self.every is not None:
            return (now_ms // self.every + 1) * self.every
        found = self.cron.next_after(_datetime(now_ms))  # type: ignore[union-attr]  # no every: a cron
        return None if found is None else int(found.timestamp() * 1000)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type,
                "cron": self.cron.expression if self.cron else None, "every": self.every}


def _datetime(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def last_ticks(queue: Any, schedules: Sequence[Schedule]) -> dict[str, int | None]:
    """The last tick each schedule took (ms), from Redis: the API's "last run"."""
    values = queue.client.mget([queue.keys.periodic(s.name) for s in schedules]) if schedules else []
    return {s.name: int(v) if v is not None else None for s, v in zip(schedules, values)}


class Scheduler:
    """Enqueues the schedules' jobs at their ticks, in a daemon thread of a worker process."""

    def __init__(self, queue: Any, schedules: Sequence[Schedule]) -> None:
        names = [s.name for s in schedules]
        if len(set(names)) != len(names):
            raise InvalidJob(f"schedule names must be unique: {sorted(names)}")
        self.queue = queue
        self.schedules = list(schedules)
        self._tried: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due(self, now_ms: int | None = None) -> list[Job]:
        """Save the job of every schedule whose latest tick this scheduler has not tried; one
        round trip. Returns the jobs created here (a tick another worker took creates none)."""
        now_ms = clock.now_ms() if now_ms is None else now_ms
        jobs = []
        for schedule in self.schedules:
            tick = schedule.last_tick(now_ms)
            if tick is None or self._tried.get(schedule.name, -1) >= tick:
                continue
            job = self.queue.create(schedule.type, dict(schedule.data), **schedule.options)
            job._periodic_tick = (schedule.name, tick)
            jobs.append((schedule, tick, job))
        if not jobs:
            return []
        self.queue.save_jobs([job for _, _, job in jobs])
        for schedule, tick, _ in jobs:
            self._tried[schedule.name] = tick
        created = [job for _, _, job in jobs if job.id is not None and not job.duplicate]
        for job in created:
            logger.info("periodic %s: enqueued %s %s", job.type, job.type, job.id)
        return created

    def seconds_to_next(self, now_ms: int) -> float:
        ticks = [t for t in (s.next_tick(now_ms) for s in self.schedules) if t is not None]
        if not ticks:
            return MAX_SLEEP
        return max(0.001, min(MAX_SLEEP, (min(ticks) - now_ms) / 1000))

    def start(self) -> Scheduler:
        self._thread = threading.Thread(target=self._loop, name="kue-periodic", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_due()
            except redis.ConnectionError as exc:
                logger.warning("periodic: Redis unreachable (%s); retrying", exc)
                self._stop.wait(1.0)
                continue
            except Exception:  # a bad schedule must not kill the thread of the others
                logger.exception("periodic: enqueue failed")
            self._stop.wait(self.seconds_to_next(clock.now_ms()))
