"""Read a job's Redis state directly (not through the code under test's readers)."""

from __future__ import annotations

from typing import Any

from django_kue.core import clock
from django_kue.core.states import STATES


def fields(queue, job_id: int) -> dict[str, str]:
    raw = queue.client.hgetall(queue.keys.job(job_id))
    return {k.decode(): v.decode() for k, v in raw.items()}


def zid(job_id: int) -> str:
    return f"{len(str(job_id)):02d}|{job_id}"


def states_of(queue, job_id: int, type_: str) -> list[str]:
    """Every state zset (global and per type) holding the job: exactly one pair when sound."""
    found = []
    for state in STATES:
        in_all = queue.client.zscore(queue.keys.state(state), zid(job_id)) is not None
        in_type = queue.client.zscore(queue.keys.type_state(type_, state), zid(job_id)) is not None
        assert in_all == in_type, f"job {job_id}: {state} global/per-type zsets disagree"
        if in_all:
            found.append(state)
    return found


def assert_state(queue, job_id: int, type_: str, state: str) -> dict[str, str]:
    """The job is in exactly one state, the same in its hash and in the zsets."""
    f = fields(queue, job_id)
    assert f["state"] == state
    assert states_of(queue, job_id, type_) == [state]
    assert queue.client.zscore(queue.keys.jobs, zid(job_id)) == job_id
    return f


def score(queue, job_id: int, state: str, type_: str | None = None) -> float | None:
    key = queue.keys.type_state(type_, state) if type_ else queue.keys.state(state)
    return queue.client.zscore(key, zid(job_id))


def claim(queue, type_: str, n: int = 1, *, lease: int = 10_000, worker: str = "w1",
          now: int | None = None) -> list[dict[str, Any]]:
    """Run claim.lua as a worker does; returns the claimed jobs' fields (with "id")."""
    reply = queue.scripts("claim", now or clock.now_ms(), worker, lease, 1000, type_, n)
    jobs = []
    for flat in reply[2:]:
        f = {k.decode(): v.decode() for k, v in zip(flat[1::2], flat[2::2])}
        f["id"] = int(flat[0])
        jobs.append(f)
    return jobs


def events(queue, job_id: int | None = None) -> list[tuple[str, list]]:
    """The event stream's (event, args) in order, for one job or all."""
    import json

    out = []
    for _, raw in queue.client.xrange(queue.keys.events):
        f = {k.decode(): v.decode() for k, v in raw.items()}
        if job_id is None or int(f["id"]) == job_id:
            out.append((f["event"], json.loads(f["args"])))
    return out
