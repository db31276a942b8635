"""Every script keeps the one invariant: a job is in exactly one state (its hash's), in both
the global and the per-type zset of that state, in ``jobs``, and holds a lease iff active.
Checked after each step of random sequences of every state change."""

from __future__ import annotations

import random

import pytest

from django_kue.core import clock
from django_kue.core.errors import KueError
from django_kue.core.states import STATES

from .redis_state import claim, fields, zid

TYPES = ("email", "video")


def check(queue, known: dict[int, str]) -> None:
    pipe = queue.client.pipeline(transaction=False)
    for job_id, type_ in known.items():
        member = zid(job_id)
        pipe.hgetall(queue.keys.job(job_id))
        for s in STATES:
            pipe.zscore(queue.keys.state(s), member)
            pipe.zscore(queue.keys.type_state(type_, s), member)
        pipe.zscore(queue.keys.leases, member)
        pipe.zscore(queue.keys.jobs, member)
    replies = iter(pipe.execute())
    for job_id in known:
        f = {k.decode(): v.decode() for k, v in next(replies).items()}
        scores = [(s, next(replies), next(replies)) for s in STATES]
        held = [s for s, g, _ in scores if g is not None]
        held_type = [s for s, _, t in scores if t is not None]
        lease, listed = next(replies) is not None, next(replies) is not None
        if not f:  # removed: no trace
            assert held == held_type == [] and not lease and not listed, job_id
            continue
        assert held == held_type == [f["state"]], (job_id, f, held, held_type)
        assert lease == (f["state"] == "active"), (job_id, f["state"], lease)
        assert listed, job_id


class Steps:
    """Random state changes, each through the public door or the script a worker calls."""

    def __init__(self, queue, seed: int) -> None:
        self.queue, self.rnd = queue, random.Random(seed)
        self.known: dict[int, str] = {}
        self.tokens: dict[int, str] = {}
        self.now = clock.now_ms()

    def run_one(self) -> None:
        name = self.rnd.choice(["save", "save", "claim", "claim", "finish", "finish", "set_state",
                                "set_priority", "remove", "promote", "recover", "update", "tick"])
        pick = self.rnd.choice(list(self.known)) if self.known else None
        try:
            getattr(self, name)(pick)
        except KueError:
            pass  # refused by hand (missing job, "active"): must change nothing, checked after

    def save(self, _):
        r = self.rnd
        job = self.queue.create(r.choice(TYPES), {"n": r.random()}, priority=r.choice([-10, 0, 5]),
                                attempts=r.randint(1, 3), delay=r.choice([0, 0, 50, 500]),
                                backoff=r.choice([None, True, {"type": "exponential", "delay": 20}]))
        self.known[job.save().id] = job.type

    def claim(self, _):
        for got in claim(self.queue, self.rnd.choice(TYPES), self.rnd.randint(1, 3),
                         lease=self.rnd.choice([10, 10_000]), now=self.now):
            self.tokens[got["id"]] = got["token"]

    def finish(self, _):
        if not self.tokens:
            return
        job_id = self.rnd.choice(list(self.tokens))
        token = self.tokens.pop(job_id) if self.rnd.random() < 0.9 else "stale"
        if self.rnd.random() < 0.5:
            self.queue.scripts("complete", self.now, job_id, token, 1, self.rnd.choice(["", '"r"']))
        else:
            self.queue.scripts("fail", self.now, job_id, token, "boom", "", self.rnd.choice([-1, 0, 30]))

    def set_state(self, pick):
        if pick:
            self.queue.set_state(pick, self.rnd.choice(["inactive", "delayed", "complete", "failed",
                                                        "active"]))

    def set_priority(self, pick):
        if pick:
            self.queue.set_priority(pick, self.rnd.choice(["high", "low", 3]))

    def remove(self, pick):
        if pick:
            self.queue.remove(pick)

    def promote(self, _):
        self.queue.scripts("promote", self.now, 1000)

    def recover(self, _):
        self.queue.scripts("recover", self.now, 100)

    def update(self, pick):
        if pick:
            job = self.queue.get_job(pick)
            job.set(delay=self.rnd.choice([0, 100]), priority=self.rnd.choice([-1, 1])).save()

    def tick(self, _):
        self.now += self.rnd.choice([5, 50, 600, 20_000])


@pytest.mark.parametrize("seed", [1, 2])
def test_random_state_changes_keep_every_job_in_exactly_one_state(queue, seed):
    steps = Steps(queue, seed)
    for _ in range(100):
        steps.run_one()
        check(queue, steps.known)
    alive = sum(1 for i in steps.known if fields(queue, i))
    assert alive and sum(queue.counts().values()) == alive
