"""Retention: finished jobs do not grow Redis without bound (``KUE["KEEP"]``, ``kueclean``).

``keep`` maps a finished state to its limits: ``{"complete": {"count": 100_000, "age": ms},
"failed": {...}}``. A state left out (or ``None``) keeps every job of that state, as Kue did;
a limit left out (or ``None``) is no limit. The Lua side (``lua/includes/retain.lua``) removes
the oldest jobs beyond the count, and every job finished longer ago than the age, as jobs
finish; each removal emits Kue's ``remove`` event, so the job mirror follows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from . import clock
from .errors import InvalidState

if TYPE_CHECKING:
    from .queue import Queue

DAY = 24 * 3600 * 1000
FINISHED = ("complete", "failed")
DEFAULT_KEEP: dict[str, dict[str, int | None]] = {
    "complete": {"count": 100_000, "age": 7 * DAY},
    "failed": {"count": 100_000, "age": 30 * DAY},
}
CLEAN_BATCH = 1000  # jobs removed per script call: Redis stays responsive during a big clean


def keep_problem(keep: Any) -> str | None:
    """What is wrong with a KEEP value, or None (the Django system check reports it)."""
    if keep is None:
        return None
    if not isinstance(keep, Mapping):
        return f"KEEP must be a dict such as {DEFAULT_KEEP!r}, or None, not {keep!r}"
    for state, limits in keep.items():
        if state not in FINISHED:
            return f"KEEP has limits for {state!r}; only 'complete' and 'failed' are kept"
        if limits is None:
            continue
        if not isinstance(limits, Mapping) or set(limits) - {"count", "age"}:
            return f"KEEP[{state!r}] must be a dict with 'count' and/or 'age', not {limits!r}"
        for name, value in limits.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 0):
                return (f"KEEP[{state!r}][{name!r}] must be a non-negative integer "
                        f"({'ms' if name == 'age' else 'jobs'}) or None, not {value!r}")
    return None


def limits_of(keep: Mapping[str, Any] | None, state: str) -> tuple[int, int]:
    """(count, age) for a state, -1 meaning no limit (the scripts' convention)."""
    limits = (keep or {}).get(state) or {}
    count, age = limits.get("count"), limits.get("age")
    return (-1 if count is None else int(count)), (-1 if age is None else int(age))


def lua_constant(keep: Mapping[str, Any] | None) -> str:
    """``local KEEP = {...}`` compiled into every script (read by ``retain()``)."""
    entries = []
    for state in FINISHED:
        count, age = limits_of(keep, state)
        if count >= 0 or age >= 0:
            entries.append(f"{state} = {{{count}, {age}}}")
    return "local KEEP = {" + ", ".join(entries) + "}\n"


def clean(queue: Queue, state: str, *, count: int | None = None, age: int | None = None,
          type: str | None = None) -> int:
    """Remove finished jobs of ``state`` (optionally of one ``type``) beyond the newest
    ``count`` and older than ``age`` ms; None means no limit. Returns how many were removed.
    Works in batches, so a clean of millions of jobs never blocks Redis for long."""
    if state not in FINISHED:
        raise InvalidState(f"only complete and failed jobs are cleaned, not {state!r}")
    for value in (count, age):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise InvalidState(f"count and age must be non-negative integers, not {value!r}")
    removed = 0
    while True:
        n = int(queue.scripts("clean", clock.now_ms(), state, -1 if count is None else count,
                              -1 if age is None else age, CLEAN_BATCH, type or ""))
        removed += n
        if n < CLEAN_BATCH:
            return removed


def apply_keep(queue: Queue) -> dict[str, int]:
    """Enforce the queue's KEEP now, on every finished state (``kueclean`` without options)."""
    out = {}
    for state in FINISHED:
        count, age = limits_of(queue.config.keep, state)
        out[state] = 0 if count < 0 and age < 0 else clean(
            queue, state, count=None if count < 0 else count, age=None if age < 0 else age)
    return out
