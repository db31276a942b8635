"""The queue: create and save jobs, read them back, count them, change them by hand.

Reads are pipelined; every write is one Lua script (``scripts.py``), so a job is never in two
states or in none. A Queue holds a client and a config and reads no global state.
"""

from __future__ import annotations

import logging
from typing import Any, Iterable, Sequence, cast

import redis

from . import cancel, clock, codec, extras, search
from .config import KueConfig
from .errors import CorruptJob, InvalidJob, JobNotFound
from .job import Job
from .keys import Keys
from .options import DEFAULTS, JobOptions, normalize
from .scripts import Scripts
from .states import STATES, parse_priority, parse_state

logger = logging.getLogger("django_kue.queue")

ORDERS = ("asc", "desc")
_DEFAULTS_ENCODED = (DEFAULTS.priority, DEFAULTS.attempts, DEFAULTS.delay, DEFAULTS.ttl,
                     DEFAULTS.backoff_json, "", "")
MAX_RANGE = 10_000  # jobs per range read: a page, not a dump
SAVE_CHUNK = 500  # jobs per save.lua call: Redis runs one chunk while the next is sent


def parse_id(value: Any) -> int:
    """A job id from user input; non-numeric ids are bad input, not a missing job."""
    if isinstance(value, bool):
        raise InvalidJob(f"invalid job id {value!r}")
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise InvalidJob(f"invalid job id {value!r}: ids are positive integers") from None
    if number <= 0 or number >= 2**53:
        raise InvalidJob(f"invalid job id {value!r}: ids are positive integers")
    return number


class Queue:
    def __init__(self, client: redis.Redis | None = None, config: KueConfig | None = None) -> None:
        self.config = config or KueConfig()
        self.client = client if client is not None else self.config.connect()
        self.keys = Keys(self.config.prefix)
        self.scripts = Scripts(self.client, self.keys, self.config)
        self.test_mode: Any = None  # django_kue.testing records saves here instead of Redis

    def __repr__(self) -> str:
        return f"<Queue {self.config.prefix!r} on {self.config.describe()}>"

    # -- creating ---------------------------------------------------------------------------
    def create(self, type: str, data: dict[str, Any] | None = None, **options: Any) -> Job:
        """An unsaved job with Kue's options (``priority``, ``attempts``, ``delay`` ...)."""
        return Job(self, type, data, JobOptions(**normalize(options)) if options else DEFAULTS)

    def create_many(self, jobs: Iterable[Job | tuple[str, dict[str, Any]] |
                                         tuple[str, dict[str, Any], dict[str, Any]]]) -> list[Job]:
        """Create and save many jobs, pipelined in calls of 500 (the bulk form)."""
        built = []
        for item in jobs:
            if isinstance(item, Job):
                built.append(item)
            else:
                type_, data, *rest = item
                built.append(self.create(type_, data, **(rest[0] if rest else {})))
        self.save_jobs(built)
        return built

    def save_jobs(self, jobs: Sequence[Job]) -> None:
        for job in jobs:
            if job.id is not None:
                raise InvalidJob(f"job {job.id} is already saved")
        if self.test_mode is not None and self.test_mode.record(jobs):
            return
        encoded = [self._encode(job) for job in jobs]  # everything validated before any write
        extra = extras.section(jobs)  # unique keys, dependencies, periodic ticks (extras.py)
        now = clock.now_ms()
        starts = range(0, len(jobs), SAVE_CHUNK)

        def call(start: int) -> list[Any]:
            chunk = encoded[start:start + SAVE_CHUNK]
            args: list[Any] = [now, len(chunk)]
            for values in chunk:
                args.extend(values)
            return args + extra[start:start + SAVE_CHUNK]

        if extra:  # a chunk may be refused (a missing dependency): the next must not run
            replies = [self.scripts("save", *call(start)) for start in starts]
        else:
            replies = self.scripts.many("save", (call(start) for start in starts))
        for start, ids in zip(starts, replies):
            for job, job_id in zip(jobs[start:start + SAVE_CHUNK], ids):
                self._mark_saved(job, int(job_id), now)

    def _encode(self, job: Job) -> list[Any]:
        o = job.options
        data = codec.dumps(job.data, limit=self.config.max_payload)
        words = ""
        if self.config.search:
            words = " ".join(search.words(search.indexed_text(job.data, o.search_keys)))
        if o is DEFAULTS:  # most jobs: the options' part encoded once
            return [job.type, data, *_DEFAULTS_ENCODED, words]
        return [job.type, data, o.priority, o.attempts, o.delay, o.ttl, o.backoff_json,
                "1" if o.remove_on_complete else "",
                codec.dumps(list(o.search_keys)) if o.search_keys else "", words]

    @staticmethod
    def _mark_saved(job: Job, job_id: int, now: int) -> None:
        if job_id <= 0:  # not created: a unique job's twin, or a periodic tick taken
            return extras.not_created(job, job_id)
        job.id = job_id
        job.state = "delayed" if job.delay > 0 else "inactive"
        job.created_at = job.updated_at = now
        job.promote_at = now + job.delay

    def update_job(self, job: Job) -> None:
        values = self._encode(job)[1:]  # all but the type, which never changes
        job.state = codec.text(self.scripts("update", job.id, clock.now_ms(), *values))

    # -- reading ----------------------------------------------------------------------------
    def get_job(self, job_id: Any) -> Job:
        number = parse_id(job_id)
        fields = self.client.hgetall(self.keys.job(number))
        if not fields:
            raise JobNotFound(job_id)
        return Job.from_hash(self, number, fields)

    def get_jobs(self, ids: Sequence[int]) -> list[Job]:
        """Jobs by id in one round trip; ids that vanished meanwhile are skipped, and so are
        jobs whose hash cannot be read (logged): one corrupted job must not break a page of
        the dashboard or the mirror's sync."""
        pipe = self.client.pipeline(transaction=False)
        for job_id in ids:
            pipe.hgetall(self.keys.job(job_id))
        jobs = []
        for job_id, fields in zip(ids, pipe.execute()):
            if not fields:
                continue
            try:
                jobs.append(Job.from_hash(self, job_id, fields))
            except CorruptJob as exc:
                logger.warning("%s; skipped", exc)
        return jobs

    def log_lines(self, job_id: Any) -> list[str]:
        return [codec.text(line) for line in self.client.lrange(self.keys.log(parse_id(job_id)), 0, -1)]

    def range(self, start: int, stop: int, order: str = "asc") -> list[Job]:
        """Every job by id (Kue's ``Job.range``); ``desc`` gives the newest first."""
        return self.get_jobs(self._ids(self.keys.jobs, start, stop, order))

    def range_by_state(self, state: str, start: int, stop: int, order: str = "asc") -> list[Job]:
        """Jobs of a state in its own order: inactive by priority then FIFO, delayed by due
        time, complete and failed by when they finished. ``desc`` gives the other end."""
        return self.get_jobs(self._ids(self.keys.state(parse_state(state).value), start, stop, order))

    def range_by_type(self, type: str, state: str, start: int, stop: int,
                      order: str = "asc") -> list[Job]:
        key = self.keys.type_state(type, parse_state(state).value)
        return self.get_jobs(self._ids(key, start, stop, order))

    def ids_by_state(self, state: str, type: str | None = None) -> list[int]:
        state = parse_state(state).value
        key = self.keys.type_state(type, state) if type else self.keys.state(state)
        return [_member_id(m) for m in self._members(key, 0, -1)]

    def _members(self, key: str, start: int, stop: int, desc: bool = False) -> list[bytes | str]:
        """ZRANGE's members (redis-py's declared type also covers WITHSCORES' pairs)."""
        return cast("list[bytes | str]", self.client.zrange(key, start, stop, desc=desc))

    def _ids(self, key: str, start: int, stop: int, order: str) -> list[int]:
        if order not in ORDERS:
            raise InvalidJob(f"order must be asc or desc, not {order!r}")
        for value in (start, stop):
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidJob(f"range bounds must be integers, not {value!r}")
        if start >= 0 and stop >= 0 and (stop < start or stop - start >= MAX_RANGE):
            raise InvalidJob(f"invalid range {start}..{stop}: at most {MAX_RANGE} jobs, from <= to")
        members = self._members(key, start, stop, desc=(order == "desc"))
        return [_member_id(m) for m in members[:MAX_RANGE]]

    # -- counting ---------------------------------------------------------------------------
    def counts(self, type: str | None = None) -> dict[str, int]:
        """Jobs per state, in one round trip."""
        pipe = self.client.pipeline(transaction=False)
        for state in STATES:
            pipe.zcard(self.keys.type_state(type, state) if type else self.keys.state(state))
        return dict(zip(STATES, pipe.execute()))

    def card(self, state: str, type: str | None = None) -> int:
        state = parse_state(state).value
        return self.client.zcard(self.keys.type_state(type, state) if type else self.keys.state(state))

    def inactive_count(self, type: str | None = None) -> int:
        return self.card("inactive", type)

    def active_count(self, type: str | None = None) -> int:
        return self.card("active", type)

    def delayed_count(self, type: str | None = None) -> int:
        return self.card("delayed", type)

    def complete_count(self, type: str | None = None) -> int:
        return self.card("complete", type)

    def failed_count(self, type: str | None = None) -> int:
        return self.card("failed", type)

    def types(self) -> list[str]:
        return sorted(codec.text(t) for t in self.client.smembers(self.keys.types))

    def work_time(self) -> int | None:
        """Sum of completed jobs' durations in ms (None before the first, as Kue's null)."""
        value = self.client.get(self.keys.work_time)
        return None if value is None else int(value)

    def throughput(self, seconds: int = 120) -> dict[str, list[int]]:
        """Attempts finished per second over the last ``seconds`` (oldest first): the
        dashboard's chart. Counted by the scripts as jobs finish, one hash per second."""
        now = clock.now_ms() // 1000
        pipe = self.client.pipeline(transaction=False)
        for second in range(now - seconds + 1, now + 1):
            pipe.hmget(self.keys.second(second), "complete", "failed")
        counts = pipe.execute()
        return {"complete": [int(c or 0) for c, _ in counts], "failed": [int(f or 0) for _, f in counts]}

    def search(self, query: str) -> list[int]:
        """Ids of jobs whose indexed text holds every word of the query, newest first."""
        terms = search.words(query or "")
        if not terms:
            return []
        ids = self.client.sinter([self.keys.search_word(w) for w in terms])
        return sorted((int(i) for i in ids), reverse=True)

    # -- changing by hand ---------------------------------------------------------------------
    def remove(self, job_id: Any) -> None:
        number = parse_id(job_id)
        if not self.scripts("remove", number):
            raise JobNotFound(job_id)

    def set_state(self, job_id: Any, state: str) -> str:
        state = parse_state(state).value
        self.scripts("set_state", parse_id(job_id), state, clock.now_ms())
        return state

    def cancel(self, job_id: Any) -> str:
        """Cancel a job (cancel.py); returns its state before ("active": asked to stop)."""
        return cancel.cancel(self, parse_id(job_id))

    def set_priority(self, job_id: Any, priority: int | str) -> None:
        """A Kue priority name or an integer; a queued job moves to its new place at once."""
        self.scripts("set_priority", parse_id(job_id), parse_priority(priority), clock.now_ms())

    def append_log(self, job_id: int, token: str, lines: list[str]) -> bool:
        return bool(self.scripts("log", job_id, token, clock.now_ms(), *lines))

    def write_progress(self, job_id: int, token: str, percent: int, data: str) -> bool:
        return bool(self.scripts("progress", job_id, token, percent, data, clock.now_ms()))

    def clean(self, state: str, *, count: int | None = None, age: int | None = None,
              type: str | None = None) -> int:
        """Remove complete or failed jobs beyond the newest ``count`` and older than ``age``
        ms (``kueclean``); as they go, each sends Kue's ``remove`` event."""
        from .retention import clean

        return clean(self, state, count=count, age=age, type=type)

    def promote(self, limit: int | None = None) -> int:
        """Promote due delayed jobs now; returns how many (workers do this on their own)."""
        promoted, _ = self.scripts("promote", clock.now_ms(), limit or self.config.promote_limit)
        return int(promoted)

    def recover_stalled(self, limit: int = 100) -> list[int]:
        """Fail (and so retry) active jobs whose worker stopped renewing their lease."""
        return [int(i) for i in self.scripts("recover", clock.now_ms(), limit)]

    # -- waiting ------------------------------------------------------------------------------
    def wait_for(self, job_id: int, states: Sequence[str], timeout: float | None = None) -> str:
        from .events import wait_for_state

        return wait_for_state(self, job_id, states, timeout)


def _member_id(member: bytes | str) -> int:
    """Zset members are Kue's zids ("01|7"): two digits of length, '|', the id."""
    return int(member[3:])
