"""The periodic schedules of this project: ``@kue_job(..., cron=... | every=...)`` and
``KUE["PERIODIC"]``; the core's Scheduler (core/periodic.py) enqueues them in every worker.

``KUE["PERIODIC"] = {"nightly-report": {"type": "report", "cron": "0 3 * * *",
"data": {...}, "options": {...}}}`` (or ``"every": 60_000`` ms / a timedelta). Cron
expressions follow the wall clock of ``settings.TIME_ZONE``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings

from .core.errors import KueError
from .core.options import JobOptions
from .core.periodic import Schedule

SETTING_KEYS = {"type", "cron", "every", "data", "options"}


def time_zone() -> dt.tzinfo:
    name = getattr(settings, "TIME_ZONE", None) or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def schedules() -> list[Schedule]:
    """Every schedule: the @kue_job ones (named after their type, with the type's default
    options), then KUE["PERIODIC"]'s (a bad entry raises KueError; the system check reports it)."""
    from .conf import kue_settings
    from .registry import registered

    out = []
    for job_type in registered().values():
        if job_type.schedule is not None:
            out.append(dataclasses.replace(job_type.schedule, options={
                **_options_dict(job_type.options), **job_type.schedule.options}))
    for name, entry in (kue_settings.PERIODIC or {}).items():
        out.append(from_setting(name, entry))
    return out


def _options_dict(options: JobOptions) -> dict[str, Any]:
    """A type's non-default options, as create() takes them."""
    return {f.name: getattr(options, f.name) for f in dataclasses.fields(options)
            if getattr(options, f.name) != f.default}


def from_setting(name: Any, entry: Any) -> Schedule:
    if not isinstance(entry, dict):
        raise KueError(f"KUE['PERIODIC'][{name!r}] must be a dict with type and cron or every")
    unknown = set(entry) - SETTING_KEYS
    if unknown:
        raise KueError(f"KUE['PERIODIC'][{name!r}]: unknown key(s) {', '.join(sorted(unknown))}; "
                       f"expected {', '.join(sorted(SETTING_KEYS))}")
    try:
        return Schedule.build(name, entry.get("type"), cron=entry.get("cron"),
                              every=entry.get("every"), data=entry.get("data"),
                              options=entry.get("options"), tz=time_zone())
    except KueError as exc:
        raise KueError(f"KUE['PERIODIC'][{name!r}]: {exc}") from None


def problems(raw: Any) -> list[str]:
    """What is wrong with KUE["PERIODIC"] (for the system check)."""
    if raw is None:
        return []
    if not isinstance(raw, dict):
        return ["KUE['PERIODIC'] must be a dict: schedule name -> {type, cron or every, ...}"]
    from .registry import registered

    taken = {t.schedule.name for t in registered().values() if t.schedule is not None}
    out = []
    for name, entry in raw.items():
        try:
            from_setting(name, entry)
        except (KueError, TypeError) as exc:
            out.append(str(exc))
        if name in taken:
            out.append(f"KUE['PERIODIC'][{name!r}]: a @kue_job(cron=/every=) schedule has this "
                       f"name already (the type's name)")
    return out
