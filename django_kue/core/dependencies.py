"""Job dependencies: ``depends_on=[job, 7, ...]`` makes a job wait until every one of them
completes; it fails (or is cancelled, with ``on_dependency_failure="cancel"``) when one fails,
is cancelled or is removed.

A waiting job is ``delayed`` with no due time (it is listed and counted with the delayed
jobs) and the field ``waiting`` = dependencies not complete yet. The work is done in Redis:
``lua/includes/deps.lua``, called by save, complete, fail, recover, remove, set_state and
cancel. ``job.dependencies`` / ``job.dependents`` are the ids on either side.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import InvalidJob

MAX_DEPENDENCIES = 1000
POLICIES = ("fail", "cancel")


def validate(value: Any) -> tuple[int, ...]:
    """Saved jobs or ids -> a tuple of ids (order kept, duplicates dropped)."""
    if value is None:
        return ()
    if not isinstance(value, (list, tuple, set, frozenset)):
        value = [value]
    ids: list[int] = []
    for item in value:
        job_id = _id_of(item)
        if job_id not in ids:
            ids.append(job_id)
    if len(ids) > MAX_DEPENDENCIES:
        raise InvalidJob(f"depends_on: at most {MAX_DEPENDENCIES} jobs, not {len(ids)}")
    return tuple(ids)


def _id_of(item: Any) -> int:
    if hasattr(item, "queue") and hasattr(item, "type"):  # a Job
        if item.id is None:
            raise InvalidJob("depends_on: save a job before another can depend on it")
        return int(item.id)
    if isinstance(item, str) and item.strip().isdecimal():
        item = int(item)
    if isinstance(item, bool) or not isinstance(item, int) or not 0 < item < 2**53:
        raise InvalidJob(f"depends_on takes saved jobs or job ids, not {item!r}")
    return item


def validate_policy(value: Any) -> str:
    if value not in POLICIES:
        raise InvalidJob(f"on_dependency_failure must be one of {', '.join(POLICIES)}, not {value!r}")
    return value


def ids_field(raw: str | None) -> list[int]:
    """A JSON array of ids from the job hash (``depends_on`` / ``dependents``)."""
    return [int(i) for i in json.loads(raw)] if raw else []
