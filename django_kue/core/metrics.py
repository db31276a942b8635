"""What ``GET /metrics`` reports, read from Redis in a few round trips: jobs per state and type,
the counters of ``lua/includes/metrics.lua``, live workers and the job mirror's lag.

The counters only ever grow (Prometheus computes rates from them); the durations histogram
is stored per bucket and made cumulative here, as the exposition format wants.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import redis

from . import clock, codec, workers
from .queue import Queue
from .states import State

# upper bounds (ms) of the duration buckets; lua/includes/metrics.lua has the same list
BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000)


@dataclasses.dataclass
class Histogram:
    buckets: list[int]  # cumulative counts, one per BUCKETS_MS bound, then +Inf
    sum_ms: int = 0

    @property
    def count(self) -> int:
        return self.buckets[-1]


@dataclasses.dataclass
class Snapshot:
    jobs: dict[tuple[str, str], int]  # (type, state) -> jobs
    durations: dict[str, Histogram]  # type -> completed jobs' durations
    failed_attempts: dict[str, int]
    failed: dict[str, int]
    workers: list[dict[str, Any]]
    mirror_lag_ms: int | None  # None: no mirror has ever followed this queue's events


def snapshot(queue: Queue, mirror_group: str | None = None) -> Snapshot:
    types = sorted(codec.text(t) or "" for t in queue.client.smembers(queue.keys.types))
    states = [s.value for s in State]
    pipe = queue.client.pipeline(transaction=False)
    for type_ in types:
        for state in states:
            pipe.zcard(queue.keys.type_state(type_, state))
    cards = pipe.execute()
    jobs = {(t, s): int(n) for (t, s), n in zip([(t, s) for t in types for s in states], cards)}
    durations, failed_attempts, failed = _counters(queue.client.hgetall(queue.keys.metrics))
    lag = mirror_lag_ms(queue, mirror_group) if mirror_group else None
    return Snapshot(jobs, durations, failed_attempts, failed, workers.live(queue), lag)


def _counters(raw: dict[Any, Any]) -> tuple[dict[str, Histogram], dict[str, int], dict[str, int]]:
    per_bucket: dict[str, list[int]] = {}
    sums: dict[str, int] = {}
    failed_attempts: dict[str, int] = {}
    failed: dict[str, int] = {}
    index = {str(b): i for i, b in enumerate(BUCKETS_MS)} | {"inf": len(BUCKETS_MS)}
    for key, value in raw.items():
        field, number = codec.text(key) or "", int(value)
        kind, _, rest = field.partition("|")
        if kind == "d":
            le, _, type_ = rest.partition("|")
            if le in index:
                per_bucket.setdefault(type_, [0] * (len(BUCKETS_MS) + 1))[index[le]] += number
        elif kind == "dsum":
            sums[rest] = number
        elif kind == "fa":
            failed_attempts[rest] = number
        elif kind == "f":
            failed[rest] = number
    durations = {}
    for type_, counts in per_bucket.items():
        running, cumulative = 0, []
        for n in counts:
            running += n
            cumulative.append(running)
        durations[type_] = Histogram(cumulative, sums.get(type_, 0))
    return durations, failed_attempts, failed


def mirror_lag_ms(queue: Queue, group: str) -> int | None:
    """How far the mirror is behind: the age of the oldest event it has not applied yet
    (0 when it has applied them all; None when no mirror ever read this queue's events)."""
    stream = queue.keys.events
    try:
        groups = queue.client.xinfo_groups(stream)
    except redis.ResponseError:  # no stream yet
        return None
    info = next((g for g in groups if codec.text(g.get("name")) == group), None)
    if info is None:
        return None
    oldest: str | None = None
    if int(info.get("pending") or 0):
        summary = queue.client.xpending(stream, group)
        oldest = codec.text(summary.get("min"))
    else:
        after = codec.text(info.get("last-delivered-id")) or "0-0"
        entries = queue.client.xrange(stream, min=f"({after}", count=1)
        oldest = codec.text(entries[0][0]) if entries else None
    if oldest is None:
        return 0
    return max(0, clock.now_ms() - int(oldest.split("-")[0]))
