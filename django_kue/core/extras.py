"""What a save carries beyond Kue's ten values per job: a unique key (unique.py), dependencies
(dependencies.py) and a periodic tick (periodic.py), as one JSON object per job appended to
``save.lua``'s arguments only when a job in the batch has one; read back by ``loaded()``.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Sequence

from . import codec, dependencies, unique

if TYPE_CHECKING:
    from .job import Job


def section(jobs: Sequence[Job]) -> list[str]:
    """One value per job ('' without extras), or nothing when no job has any (the usual case).
    Computed before any write: a unique_key callable that fails refuses the whole batch."""
    values = [_encode(job) for job in jobs]
    return values if any(values) else []


def _encode(job: Job) -> str:
    o = job.options
    extra: dict[str, Any] = {}
    key = unique.key_for(o.unique_key, job.data) if o.unique_key is not None else None
    if key is not None:
        extra["unique"] = key
    if o.depends_on:
        extra["deps"] = list(o.depends_on)
        if o.on_dependency_failure != "fail":
            extra["on_dependency_failure"] = o.on_dependency_failure
    tick = getattr(job, "_periodic_tick", None)
    if tick is not None:
        extra["tick"] = list(tick)
    return codec.dumps(extra) if extra else ""


def not_created(job: Job, reply: int) -> None:
    """save.lua created no job: ``-id`` of the live job holding the unique key (the job object
    becomes that job, with ``duplicate`` True), or 0 for a periodic tick taken already."""
    if reply < 0:
        job.id = -reply
        job.refresh()
        job.duplicate = True


def as_dict(job: Job) -> dict[str, Any]:
    """For the APIs and the dashboard: unique key, dependencies (parent ids) and dependents
    (child ids), dependencies still awaited, the cancelled flag, the schedule that made it."""
    key = job.unique_key
    return {
        "unique_key": key if isinstance(key, str) else None,
        "dependencies": job.dependencies, "dependents": list(job.dependents),
        "waiting": getattr(job, "waiting", 0), "cancelled": getattr(job, "cancelled_flag", False),
        "periodic": getattr(job, "periodic", None),
    }


def loaded(job: Job, fields: dict[str, str]) -> None:
    """Job.from_hash: the extras' fields of the job hash."""
    depends_on = dependencies.ids_field(fields.get("depends_on"))
    if depends_on or fields.get("unique_key"):
        job.options = dataclasses.replace(
            job.options, unique_key=fields.get("unique_key"), depends_on=tuple(depends_on),
            on_dependency_failure=fields.get("on_dependency_failure") or "fail")
    job.dependents = dependencies.ids_field(fields.get("dependents"))
    job.waiting = int(fields.get("waiting") or 0)
    job.cancelled_flag = fields.get("cancelled") == "1"
    job.periodic = fields.get("periodic")
