"""``@kue_job``: register a handler for a job type, with its concurrency and default options.

The decorator returns a :class:`JobType` (not the function): ``send_email.enqueue(data)``
creates and saves a job; ``send_email.fn`` is the plain handler for direct calls in tests.
It is deliberately not callable, so a forgotten ``.enqueue`` fails loudly.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable, overload

from django.core.exceptions import ImproperlyConfigured

from .core.errors import InvalidJob
from .core.handlers import HandlerSpec
from .core.job import Job
from .core.options import JobOptions, normalize
from .core.periodic import Schedule
from .core.ratelimit import RateLimit
from .core.ratelimit import parse as parse_rate_limit

_registry: dict[str, JobType] = {}


@dataclasses.dataclass(frozen=True)
class JobType:
    type: str
    fn: Callable[..., Any]
    concurrency: int = 1
    options: JobOptions = JobOptions()
    rate_limit: RateLimit | None = None  # core/ratelimit.py
    schedule: Schedule | None = None  # cron= / every= (core/periodic.py, django_kue/periodic.py)

    def enqueue(self, data: dict[str, Any] | None = None, **options: Any) -> Job:
        """Create and save a job of this type (Kue's ``queue.create(type, data).save()``)."""
        from .connection import get_queue

        job = get_queue().create(self.type, data)
        job.options = self.options.merged(**options)
        return job.save()

    def using(self, **options: Any) -> JobType:
        """A copy with other default options: ``send_email.using(priority="high").enqueue(...)``."""
        concurrency = options.pop("concurrency", self.concurrency)
        copy = dataclasses.replace(self, concurrency=concurrency, options=self.options.merged(**options))
        _ = copy.spec  # a bad concurrency fails here, not later in a worker
        return copy

    @property
    def spec(self) -> HandlerSpec:
        backoff = self.options.backoff if callable(self.options.backoff) else None
        return HandlerSpec(self.type, self.fn, self.concurrency, backoff, self.rate_limit)

    def __repr__(self) -> str:
        return f"<JobType {self.type!r} -> {self.fn.__module__}.{self.fn.__qualname__}>"


@overload
def kue_job(type: Callable[..., Any]) -> JobType: ...
@overload
def kue_job(type: str | None = None, *, concurrency: int = 1, rate_limit: Any = None,
            cron: str | None = None, every: Any = None,
            **options: Any) -> Callable[[Callable[..., Any]], JobType]: ...


def kue_job(type: Any = None, *, concurrency: int = 1, rate_limit: Any = None,
            cron: str | None = None, every: Any = None, **options: Any) -> Any:
    """Register ``fn(job)`` or ``fn(job, ctx)`` as the handler of jobs of ``type``.

    ``@kue_job("email", concurrency=20, attempts=5, backoff={"type": "exponential"})``;
    bare ``@kue_job`` uses the function's name as the type. Beyond Kue: ``rate_limit="100/m"``
    (core/ratelimit.py); ``cron="*/5 * * * *"`` or ``every=timedelta(...)`` enqueue a job of
    the type on that schedule, named after the type (core/periodic.py).
    """
    extra = {"rate_limit": rate_limit, "cron": cron, "every": every}
    if callable(type):
        return _register(type.__name__, type, concurrency, options, **extra)
    return lambda fn: _register(fn.__name__ if type is None else type, fn, concurrency, options,
                                **extra)


def _register(type: str, fn: Callable[..., Any], concurrency: int, options: dict[str, Any],
              rate_limit: Any = None, cron: str | None = None, every: Any = None) -> JobType:
    if not callable(fn):
        raise ImproperlyConfigured(f"@kue_job({type!r}) decorates {fn!r}, which is not callable")
    if "<locals>" in getattr(fn, "__qualname__", ""):
        raise ImproperlyConfigured(f"@kue_job({type!r}): handlers must be module-level functions "
                                   f"so that every worker process can import them")
    try:
        job_type = JobType(type, fn, concurrency, JobOptions(**normalize(options)),
                           parse_rate_limit(rate_limit), _schedule(type, cron, every))
        _ = job_type.spec  # validates the concurrency and the handler
        Job(None, type)
    except InvalidJob as exc:
        raise ImproperlyConfigured(f"@kue_job({type!r}): {exc}") from None
    existing = _registry.get(type)
    if existing is not None and (existing.fn.__module__, existing.fn.__qualname__) != (
            fn.__module__, fn.__qualname__):
        raise ImproperlyConfigured(f"job type {type!r} is already registered by {existing!r}")
    _registry[type] = job_type
    return job_type


def _schedule(type: str, cron: str | None, every: Any) -> Schedule | None:
    if cron is None and every is None:
        return None
    from .periodic import time_zone

    return Schedule.build(type, type, cron=cron, every=every, tz=time_zone())


def registered() -> dict[str, JobType]:
    return dict(_registry)


def get_job_type(type: str) -> JobType:
    try:
        return _registry[type]
    except KeyError:
        raise InvalidJob(f"no @kue_job handler is registered for type {type!r}") from None


def handler_specs(types: Iterable[str] | None = None) -> list[HandlerSpec]:
    """Specs for the worker: every registered type, or those named (unknown ones refused)."""
    if types is None:
        return [jt.spec for jt in _registry.values()]
    return [get_job_type(t).spec for t in types]


def unregister(type: str) -> None:
    """For tests that register handlers of their own."""
    _registry.pop(type, None)
