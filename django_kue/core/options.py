"""Kue's job options, validated once for every door: ``create()``, ``@kue_job`` and the API.

Times are milliseconds; a ``timedelta`` is accepted too, and ``delay`` also takes a
``datetime`` (Kue's ``delay(Date)``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Callable, Mapping

from . import clock, codec, dependencies, unique
from .errors import InvalidJob
from .states import parse_priority

OPTION_NAMES = frozenset(
    {"priority", "attempts", "backoff", "delay", "ttl", "remove_on_complete", "search_keys",
     "unique_key", "depends_on", "on_dependency_failure"}
)
BACKOFF_TYPES = ("fixed", "exponential")
MAX_MS = 10 * 365 * 24 * 3600 * 1000  # ten years: anything beyond is a unit mistake
MAX_ATTEMPTS = 1_000_000


@dataclasses.dataclass(frozen=True)
class JobOptions:
    priority: int = 0
    attempts: int = 1
    backoff: Any = None  # None, True, {"type": ..., "delay": ms, "maxDelay": ms} or a callable
    delay: int = 0
    ttl: int = 0
    remove_on_complete: bool = False
    search_keys: tuple[str, ...] | None = None
    unique_key: Any = None  # a string, or a callable of the data (unique.py)
    depends_on: tuple[int, ...] = ()  # job ids this job waits for (dependencies.py)
    on_dependency_failure: str = "fail"  # or "cancel"

    def merged(self, **overrides: Any) -> JobOptions:
        return dataclasses.replace(self, **normalize(overrides))

    @property
    def backoff_json(self) -> str:
        """What the job hash stores; a callable is marked and computed by the worker."""
        if self.backoff is None or self.backoff is False:
            return ""
        if self.backoff is True:
            return "true"
        if callable(self.backoff):
            return '{"type":"function"}'
        return codec.dumps(self.backoff, what="backoff")


DEFAULTS = JobOptions()  # shared by the jobs that use no option (most jobs): it is frozen


def normalize(options: Mapping[str, Any]) -> dict[str, Any]:
    """Validated option values by name; an unknown name or a bad value raises InvalidJob."""
    unknown = set(options) - OPTION_NAMES
    if unknown:
        raise InvalidJob(f"unknown job option(s): {', '.join(sorted(unknown))}; "
                         f"expected {', '.join(sorted(OPTION_NAMES))}")
    out: dict[str, Any] = {}
    for name, value in options.items():
        out[name] = _VALIDATORS[name](value)
    return out


def make(**options: Any) -> JobOptions:
    return JobOptions(**normalize(options))


def milliseconds(value: Any, name: str, *, allow_datetime: bool = False) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.timedelta):
        ms = value.total_seconds() * 1000
    elif allow_datetime and isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.astimezone()
        ms = aware.timestamp() * 1000 - clock.now_ms()
        return max(0, int(ms))  # Kue: a date in the past means no delay
    elif isinstance(value, bool):
        raise InvalidJob(f"{name} must be a number of milliseconds, not {value!r}")
    elif isinstance(value, (int, float)):
        ms = value
    elif isinstance(value, str) and value.strip().removeprefix("-").isdecimal():  # not "²", "--5"
        ms = int(value)
    else:
        raise InvalidJob(f"{name} must be a number of milliseconds, not {value!r}")
    if ms != ms or ms < 0 or ms > MAX_MS:
        raise InvalidJob(f"{name} must be between 0 and {MAX_MS} ms, not {value!r}")
    return int(ms)


def _attempts(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdecimal():  # "²" is a digit int() refuses
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ATTEMPTS:
        raise InvalidJob(f"attempts must be an integer from 1 to {MAX_ATTEMPTS}, not {value!r}")
    return value


def _backoff(value: Any) -> Any:
    if value is None or isinstance(value, bool) or callable(value):
        return value
    if not isinstance(value, Mapping):
        raise InvalidJob(f"backoff must be true, a {{'type': ...}} object or a callable, not {value!r}")
    kind = value.get("type", "fixed")
    if kind not in BACKOFF_TYPES:
        raise InvalidJob(f"backoff type must be one of {', '.join(BACKOFF_TYPES)}, not {kind!r}")
    extra = set(value) - {"type", "delay", "maxDelay"}
    if extra:
        raise InvalidJob(f"unknown backoff key(s): {', '.join(sorted(extra))}")
    spec: dict[str, Any] = {"type": kind}
    for key in ("delay", "maxDelay"):
        if value.get(key) is not None:
            spec[key] = milliseconds(value[key], f"backoff {key}")
    return spec


def _search_keys(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(k, str) and k for k in value):
        raise InvalidJob(f"search_keys must be a list of dotted paths into data, not {value!r}")
    return tuple(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidJob(f"remove_on_complete must be true or false, not {value!r}")
    return value


_VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "priority": parse_priority,
    "attempts": _attempts,
    "backoff": _backoff,
    "delay": lambda v: milliseconds(v, "delay", allow_datetime=True),
    "ttl": lambda v: milliseconds(v, "ttl"),
    "remove_on_complete": _bool,
    "search_keys": _search_keys,
    "unique_key": unique.validate,
    "depends_on": dependencies.validate,
    "on_dependency_failure": dependencies.validate_policy,
}
