"""Every Redis key name of a queue, in one place.

All keys share the hash tag ``{prefix}`` so that every Lua script touches one Redis Cluster
slot. The Lua scripts get the same names from :meth:`Keys.lua_prelude`, generated from
``TEMPLATES``, so key strings are spelled nowhere else.
"""

from __future__ import annotations

import re
from typing import Callable

TEMPLATES: dict[str, str] = {
    "ids": "ids",  # string: INCR counter for job ids
    "jobs": "jobs",  # zset: every job, score = id
    "types": "job:types",  # set: every type ever saved
    "job": "job:{id}",  # hash: the job's fields
    "log": "job:{id}:log",  # list: the job's log lines
    "state": "jobs:{state}",  # zset: jobs of a state (score: see docs/internals.md)
    "type_state": "jobs:{type}:{state}",  # zset: jobs of a type and state, same scores
    "wake": "wake:{type}",  # list: doorbell tokens for idle workers of a type
    "timer": "timer",  # list: doorbell for workers when a delayed job becomes the next due
    "leases": "leases",  # zset: active job ids, score = lease expiry (ms)
    "events": "events",  # stream: every job event
    "work_time": "stats:work-time",  # string: sum of completed jobs' durations (ms)
    "second": "stats:second:{second}",  # hash: complete/failed counts of one second (expires)
    "workers": "workers",  # hash: worker id -> JSON heartbeat
    "metrics": "stats:metrics",  # hash: monotonic counters for /metrics (lua/includes/metrics.lua)
    "search_word": "search:word:{word}",  # set: job ids whose search keys hold the word
    "search_object": "search:object:{id}",  # set: the words indexed for a job
    "mirror_lock": "mirror:lock",  # string: token of the one process syncing the Django mirror
    "mirror_rebuild": "mirror:rebuild",  # string: job id the mirror's rebuild has reached (while one runs)
    "unique": "unique:{type}",  # hash: unique_key -> id of the live job holding it (unique.py)
    "periodic": "periodic:{name}",  # string: last tick (ms) of a schedule (periodic.py)
    "rate": "rate:{type}:{window}",  # string: jobs of a type started in a window (ratelimit.py)
}

_FIELD = re.compile(r"\{(\w+)\}")


def _builder(head: str, template: str) -> str | Callable[..., str]:
    pieces = _FIELD.split(template)  # literal, field, literal, field, ...
    if len(pieces) == 1:
        return head + template
    literals, fields = pieces[0::2], pieces[1::2]

    def build(*values: object) -> str:
        if len(values) != len(fields):
            raise TypeError(f"key {template!r} needs {len(fields)} value(s)")
        out = [head, literals[0]]
        for value, literal in zip(values, literals[1:]):
            out += [str(value), literal]
        return "".join(out)

    return build


class Keys:
    """Key names for one prefix: ``Keys("q").job(7) == "{q}:job:7"``.

    Fixed keys are attributes (``keys.ids``); keys with a field are functions (``keys.job(7)``).
    """

    ids: str
    jobs: str
    types: str
    leases: str
    timer: str
    events: str
    work_time: str
    workers: str
    metrics: str
    mirror_lock: str
    mirror_rebuild: str
    job: Callable[[object], str]
    log: Callable[[object], str]
    state: Callable[[str], str]
    type_state: Callable[[str, str], str]
    wake: Callable[[str], str]
    search_word: Callable[[str], str]
    second: Callable[[int], str]
    search_object: Callable[[object], str]
    unique: Callable[[str], str]
    periodic: Callable[[str], str]
    rate: Callable[[str, int], str]

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.base = "{%s}" % prefix
        for name, template in TEMPLATES.items():
            setattr(self, name, _builder(f"{self.base}:", template))

    def pattern(self) -> str:
        """A SCAN pattern matching every key of this prefix (tests and clean-ups)."""
        return self.base.replace("{", "\\{").replace("}", "\\}") + ":*"

    @staticmethod
    def lua_prelude() -> str:
        """Lua functions ``K.<name>(...)`` building the same keys from ``KEYS[1]`` (the base)."""
        lines = ["local K = {}", "local BASE = KEYS[1]"]
        for name, template in TEMPLATES.items():
            params = _FIELD.findall(template)
            parts = ["BASE", repr(":")]
            for i, piece in enumerate(_FIELD.split(template)):
                if not piece:
                    continue
                parts.append(piece if i % 2 else repr(piece))
            body = " .. ".join(parts).replace("' .. '", "")
            lines.append(f"K.{name} = function({', '.join(params)}) return {body} end")
        return "\n".join(lines) + "\n"
