"""set_state.lua: a job moved by hand lands in exactly one state; "active" is refused; a
worker running the job is fenced out."""

from __future__ import annotations

import pytest

from django_kue.core.errors import InvalidState, JobNotFound

from .redis_state import assert_state, claim, events, fields, zid


@pytest.mark.parametrize("start", ["inactive", "delayed", "active", "complete", "failed"])
@pytest.mark.parametrize("to", ["inactive", "delayed", "complete", "failed"])
def test_every_transition_by_hand(queue, start, to):
    job = queue.create("email", delay=60_000 if start == "delayed" else 0).save()
    if start == "active":
        claim(queue, "email")
    elif start in ("complete", "failed"):
        queue.set_state(job.id, start)
    assert_state(queue, job.id, "email", start)
    job.set_state(to)
    assert job.state == to
    f = assert_state(queue, job.id, "email", to)
    assert queue.client.zscore(queue.keys.leases, zid(job.id)) is None
    if to == "complete":
        assert f["progress"] == "100"
    if to == "failed":
        assert "failed_at" in f
    if to == "inactive":
        assert events(queue, job.id)[-1] == ("enqueue", ["email"])
    else:
        assert events(queue, job.id)[-1] == ("state", [to, start])


def test_active_is_refused_and_nothing_changes(queue):
    job = queue.create("email").save()
    before = fields(queue, job.id)
    with pytest.raises(InvalidState, match="only when a worker claims"):
        job.set_state("active")
    with pytest.raises(InvalidState, match="unknown state"):
        queue.set_state(job.id, "queued")
    assert fields(queue, job.id) == before
    assert_state(queue, job.id, "email", "inactive")


def test_a_missing_job_is_not_found(queue):
    with pytest.raises(JobNotFound, match='job "987654" doesnt exist'):
        queue.set_state(987654, "inactive")


def test_set_state_fences_out_the_running_worker(queue):
    job = queue.create("email").save()
    [got] = claim(queue, "email")
    queue.set_state(job.id, "inactive")
    assert queue.scripts("complete", 1, job.id, got["token"], 1, "") == [0]
    assert queue.scripts("heartbeat", 1, 1000, job.id, got["token"]) == [job.id]
    assert queue.scripts("log", job.id, got["token"], 1, "late") == 0
    assert_state(queue, job.id, "email", "inactive")


def test_restart_of_a_failed_job_runs_it_again(queue):
    # Kue: a restarted job that used its attempts gets one more run, attempts not reset
    job = queue.create("email").save()
    [got] = claim(queue, "email")
    queue.scripts("fail", 1, job.id, got["token"], "boom", "", -1)
    job.inactive()
    [again] = claim(queue, "email")
    assert again["attempts"] == "1"
    assert queue.scripts("fail", 2, job.id, again["token"], "boom", "", -1)[0] == b"failed"


def test_kue_shortcuts(queue):
    job = queue.create("email").save()
    assert job.complete().state == "complete"
    assert job.failed().state == "failed"
    assert job.delayed().state == "delayed"
    assert job.inactive().state == "inactive"
    assert_state(queue, job.id, "email", "inactive")
