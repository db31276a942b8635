"""A job: Kue's fields, read from and written to Redis only through its queue's scripts."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable

from . import cancel, clock, codec, extras
from .errors import CorruptJob, InvalidJob, JobFailed, LeaseLost
from .options import DEFAULTS, JobOptions
from .states import State, parse_priority, parse_state

if TYPE_CHECKING:
    from .queue import Queue

_INT_FIELDS = ("created_at", "updated_at", "promote_at", "started_at", "failed_at", "duration")


_PLACEHOLDER = re.compile(r"%[sdifjoO%]")


def format_log(fmt: Any, args: tuple[Any, ...]) -> str:
    """Kue's util.format rules: ``%s %d %i %f %j %o %O`` take the next argument in turn, ``%%``
    is a percent sign, a placeholder without an argument stays as written, and arguments left
    over are appended with spaces. A non-string first argument is shown like the others."""
    if not isinstance(fmt, str):
        return " ".join(_show(a) for a in (fmt, *args))
    if not args:
        return fmt
    rest = list(args)

    def fill(match: re.Match[str]) -> str:
        code = match.group()[1]
        if code == "%":
            return "%"
        if not rest:
            return match.group()
        value = rest.pop(0)
        if code in "dif":
            return _number(value, code)
        return _show(value) if code in "sjoO" else match.group()

    return " ".join([_PLACEHOLDER.sub(fill, fmt), *(_show(a) for a in rest)])


def _number(value: Any, code: str) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "NaN"
    if number != number or number in (float("inf"), float("-inf")):
        return "NaN" if number != number else ("Infinity" if number > 0 else "-Infinity")
    if code == "i" or number.is_integer():
        return str(int(number))
    return repr(number)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, BaseException):
        return f"{value.__class__.__name__}: {value}"
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(value)


_GOOD_TYPES: set[str] = set()  # types that passed _good_type (a handful per process)


def _good_type(type: Any) -> bool:
    if not isinstance(type, str) or not type.strip() or len(type) > 200 or any(
        c.isspace() and c != " " or ord(c) < 32 for c in type
    ):
        return False
    if len(_GOOD_TYPES) < 10_000:
        _GOOD_TYPES.add(type)
    return True


def _decoded(fields: dict[Any, Any]) -> dict[str, str]:
    """A hash reply as str -> str: bytes from a plain client, str with decode_responses."""
    try:
        return {k.decode(): v.decode() for k, v in fields.items()}
    except AttributeError:
        if all(k.__class__ is str and v.__class__ is str for k, v in fields.items()):
            return fields  # decoded already (a decode_responses client, the worker's claim)
        return {codec.text(k): codec.text(v) for k, v in fields.items()}


def _options(f: dict[str, str]) -> JobOptions:
    """A job hash's options: the shared defaults when it has none (a worker decodes every job
    it claims, and most jobs use no option)."""
    backoff, priority, attempts = f.get("backoff"), f.get("priority"), f.get("max_attempts")
    if (priority in (None, "0") and attempts in (None, "1") and not backoff and not f.get("delay")
            and not f.get("ttl") and not f.get("removeOnComplete") and not f.get("search_keys")):
        return DEFAULTS
    return JobOptions(
        priority=int(priority or 0),
        attempts=int(attempts or 1),
        backoff=None if not backoff else True if backoff == "true" else json.loads(backoff),
        delay=int(f.get("delay") or 0),
        ttl=int(f.get("ttl") or 0),
        remove_on_complete=f.get("removeOnComplete") == "true",
        search_keys=tuple(json.loads(f["search_keys"])) if f.get("search_keys") else None,
    )


class Job:
    """One job. Unsaved until :meth:`save`; afterwards ``id`` is set and Redis is the truth.

    ``progress()`` and ``log()`` inside a handler are fenced: once the worker has lost the job
    (lease expired, moved or removed by hand) they raise :class:`LeaseLost`, so the handler stops.
    """

    default_queue: ClassVar[Callable[[], Queue] | None] = None  # set by the Django layer

    def __init__(self, queue: Queue | None, type: str, data: Any = None,
                 options: JobOptions | None = None) -> None:
        if not (isinstance(type, str) and (type in _GOOD_TYPES or _good_type(type))):
            raise InvalidJob(f"a job needs a type: a non-empty name of at most 200 characters, "
                             f"not {type!r}")
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise InvalidJob(f"job data must be a JSON object (a dict), not {data.__class__.__name__}")
        self.queue = queue
        self.type = type
        self.data: dict[str, Any] = data
        self.options = options or JobOptions()
        self.id: int | None = None
        self.state: str | None = None
        self.attempts_made = 0
        self._progress = 0
        self.progress_data: Any = None
        self.result: Any = None
        self.error: str | None = None
        self.stack: str | None = None
        self.worker_id: str | None = None
        # ms since the epoch (duration: ms), None until saved / started / failed
        self.created_at: int | None = None
        self.updated_at: int | None = None
        self.promote_at: int | None = None
        self.started_at: int | None = None
        self.failed_at: int | None = None
        self.duration: int | None = None
        self._token = ""  # the fencing token while a worker runs this job
        self._last_progress_write = 0.0
        self._pending_progress: tuple[int, Any] | None = None
        self._listeners: dict[str, list[Callable[..., Any]]] = {}  # job.on(), until saved
        self.dependents: list[int] = []  # ids of jobs waiting for this one (dependencies.py)
        self.duplicate = False  # save() returned the live job holding its unique_key instead
        self._raw_token = ""  # the hash's token field as read (intake.py makes it the job's own)
        # extras.py: set from the job hash by extras.loaded()
        self.waiting = 0  # dependencies not complete yet
        self.cancelled_flag = False  # cancel asked while active
        self.periodic: str | None = None  # the schedule that created it

    # Kue's option accessors, readable as attributes
    @property
    def priority(self) -> int:
        return self.options.priority

    @property
    def max_attempts(self) -> int:
        return self.options.attempts

    @property
    def backoff(self) -> Any:
        return self.options.backoff

    @property
    def delay(self) -> int:
        return self.options.delay

    @property
    def ttl(self) -> int:
        return self.options.ttl

    @property
    def remove_on_complete(self) -> bool:
        return self.options.remove_on_complete

    @property
    def search_keys(self) -> tuple[str, ...] | None:
        return self.options.search_keys

    @property
    def unique_key(self) -> Any:
        return self.options.unique_key

    @property
    def dependencies(self) -> list[int]:
        return list(self.options.depends_on)

    @property
    def attempts_remaining(self) -> int:
        return max(0, self.max_attempts - self.attempts_made)

    @property
    def title(self) -> str | None:
        title = self.data.get("title")
        return None if title is None else str(title)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.type} {self.state}>"

    # -- loading --------------------------------------------------------------------------
    @classmethod
    def from_hash(cls, queue: Queue | None, job_id: Any, fields: dict[Any, Any],
                  decoded: bool = False) -> Job:
        """A job from its Redis hash (``decoded``: str keys and values already);
        :class:`CorruptJob` when a field cannot be decoded (data that is not a JSON object, a
        priority that is not a number ...)."""
        try:
            return cls._decode(queue, job_id, fields if decoded else _decoded(fields))
        except (ValueError, TypeError) as exc:  # JSONDecodeError, InvalidJob, int("x") ...
            raise CorruptJob(f"job {job_id} cannot be read from Redis (corrupted?): {exc}") from None

    @classmethod
    def _decode(cls, queue: Queue | None, job_id: Any, f: dict[str, str]) -> Job:
        options = _options(f)
        data = f.get("data")
        job = cls(queue, f.get("type") or "?", {} if data == "{}" else codec.loads(data, {}), options)
        job.id = int(job_id)
        job.state = f.get("state")
        job.attempts_made = int(f.get("attempts") or 0)
        job._progress = int(float(f.get("progress") or 0))
        job.progress_data = codec.loads(f.get("progress_data"))
        job.result = codec.loads(f.get("result"))
        job.error, job.stack = f.get("error"), f.get("stack")
        job.worker_id = f.get("workerId")
        for name in _INT_FIELDS:
            setattr(job, name, int(f[name]) if f.get(name) else None)
        job._token = ""
        job._raw_token = f.get("token") or ""
        extras.loaded(job, f)
        return job

    def to_dict(self) -> dict[str, Any]:
        """Plain Python fields (the API serializers shape them into Kue's JSON)."""
        return {
            "id": self.id, "type": self.type, "data": self.data, "state": self.state,
            "priority": self.priority, "progress": self._progress,
            "progress_data": self.progress_data, "result": self.result, "error": self.error,
            "stack": self.stack, "attempts_made": self.attempts_made,
            "max_attempts": self.max_attempts, "delay": self.delay, "ttl": self.ttl,
            "backoff": self.backoff if not callable(self.backoff) else {"type": "function"},
            "remove_on_complete": self.remove_on_complete,
            "search_keys": list(self.search_keys) if self.search_keys else None,
            "worker_id": self.worker_id,
            **{name: getattr(self, name) for name in _INT_FIELDS},
        }

    # -- Kue's class-level access (default queue) -----------------------------------------
    @classmethod
    def _queue(cls, queue: Queue | None) -> Queue:
        if queue is not None:
            return queue
        if cls.default_queue is None:
            raise RuntimeError("no default queue: pass queue=..., or use django_kue.get_queue()")
        return cls.default_queue()

    @classmethod
    def get(cls, job_id: Any, queue: Queue | None = None) -> Job:
        return cls._queue(queue).get_job(job_id)

    @classmethod
    def range(cls, start: int, stop: int, order: str = "asc", queue: Queue | None = None) -> list[Job]:
        return cls._queue(queue).range(start, stop, order)

    @classmethod
    def range_by_state(cls, state: str, start: int, stop: int, order: str = "asc",
                       queue: Queue | None = None) -> list[Job]:
        return cls._queue(queue).range_by_state(state, start, stop, order)

    @classmethod
    def range_by_type(cls, type: str, state: str, start: int, stop: int, order: str = "asc",
                      queue: Queue | None = None) -> list[Job]:
        return cls._queue(queue).range_by_type(type, state, start, stop, order)

    # -- changes --------------------------------------------------------------------------
    def _bound(self) -> Queue:
        if self.queue is None:
            self.queue = Job._queue(None)
        return self.queue

    def save(self) -> Job:
        """Create the job (first save) or write its changed options (Kue's update)."""
        queue = self._bound()
        if self.id is None:
            queue.save_jobs([self])
            if self._listeners and self.id is not None:
                from .follow import job_listeners

                job_listeners.add(queue.config.prefix, self.id, self._listeners, job=self)
        else:
            queue.update_job(self)
        return self

    def on(self, event: str, fn: Callable[..., Any]) -> Job:
        """Kue's per-job listener: ``fn(*args)`` with the event's arguments (``complete``:
        result; ``failed``: error; ``failed attempt``: error, attempts made; ``progress``:
        percent, data; ``enqueue``/``start``/``remove``: type; ``promotion``: none).

        Hears the job wherever it runs (this process, or another through the event stream).
        Register before ``save()`` to miss nothing; listeners are dropped after complete,
        failed or remove. Refused when the queue's ``job_events`` is off (Kue's jobEvents).
        """
        from .follow import listen

        listen(self, event, fn)
        return self

    def set(self, **options: Any) -> Job:
        """Change options before a (re-)save: ``job.set(priority="high", delay=5000).save()``."""
        self.options = self.options.merged(**options)
        return self

    def remove(self) -> None:
        self._bound().remove(self._saved_id())

    def cancel(self) -> Job:
        """Cancel it (cancel.py): a queued job ends now, a running one is asked to stop."""
        self.state = self._bound().cancel(self._saved_id())
        if self.state != "active":
            self.state = "failed"
        return self

    @property
    def cancelled(self) -> bool:
        """True once the job was cancelled; a handler checks it to stop early (read live)."""
        return self.id is not None and cancel.is_cancelled(self._bound(), self.id)

    def set_state(self, state: str | State) -> Job:
        self.state = self._bound().set_state(self._saved_id(), parse_state(state).value)
        return self

    def set_priority(self, priority: int | str) -> Job:
        number = parse_priority(priority)
        self._bound().set_priority(self._saved_id(), number)
        self.options = self.options.merged(priority=number)
        return self

    # Kue's shortcuts: job.inactive(), job.delayed(), job.complete(), job.failed()
    def inactive(self) -> Job:
        return self.set_state(State.INACTIVE)

    def delayed(self) -> Job:
        return self.set_state(State.DELAYED)

    def complete(self) -> Job:
        return self.set_state(State.COMPLETE)

    def failed(self) -> Job:
        return self.set_state(State.FAILED)

    def refresh(self) -> Job:
        fresh = self._bound().get_job(self._saved_id())
        token = self._token
        self.__dict__.update({k: v for k, v in fresh.__dict__.items() if k != "queue"})
        self._token = token
        return self

    # -- inside a handler -----------------------------------------------------------------
    def log(self, fmt: Any, *args: Any) -> None:
        line = format_log(fmt, args)
        if not self._bound().append_log(self._saved_id(), self._token, [line]) and self._token:
            raise LeaseLost(f"job {self.id} is no longer held by this worker")

    def logs(self) -> list[str]:
        return self._bound().log_lines(self._saved_id())

    def progress(self, completed: float | None = None, total: float | None = None,
                 data: Any = None) -> int:
        """Kue's ``progress(completed, total, data)``; with no arguments, the stored percent."""
        if completed is None:
            return self._progress
        percent = 0 if not total else min(100, int(completed * 100 / total))
        self._progress = percent
        now = clock.monotonic_ms()
        interval = self._bound().config.progress_interval
        if percent < 100 and now - self._last_progress_write < interval:
            self._pending_progress = (percent, data)  # throttled: the heartbeat flushes it
            return percent
        self._write_progress(percent, data, now)
        return percent

    def flush_progress(self) -> None:
        if self._pending_progress is not None:
            self._write_progress(*self._pending_progress, clock.monotonic_ms())

    def _write_progress(self, percent: int, data: Any, now: float) -> None:
        self._pending_progress = None
        self._last_progress_write = now
        encoded = "" if data is None else codec.dumps(data, what="progress data")
        if not self._bound().write_progress(self._saved_id(), self._token, percent, encoded):
            if self._token:
                raise LeaseLost(f"job {self.id} is no longer held by this worker")

    # -- waiting (producer side) ------------------------------------------------------------
    def wait(self, timeout: float | None = None) -> Any:
        """Block until the job completes (its result) or fails for good (JobFailed)."""
        queue = self._bound()
        state = queue.wait_for(self._saved_id(), ("complete", "failed"), timeout)
        self.refresh()
        if state == "failed":
            raise JobFailed(self.error or "failed")
        return self.result

    def _saved_id(self) -> int:
        if self.id is None:
            raise InvalidJob("the job is not saved yet")
        return self.id


def ids_of(jobs: Iterable[Job]) -> list[int]:
    return [job._saved_id() for job in jobs]
