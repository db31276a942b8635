"""remove.lua: every trace of a job goes; a worker running it is fenced out."""

from __future__ import annotations

import pytest

from django_kue.core.errors import InvalidJob, JobNotFound
from django_kue.core.job import Job

from .redis_state import claim, events, states_of, zid


@pytest.mark.parametrize("state", ["inactive", "delayed", "active", "complete", "failed"])
def test_remove_from_every_state(queue, state):
    job = queue.create("email", {"to": "a@b.c"}, delay=60_000 if state == "delayed" else 0).save()
    if state == "active":
        claim(queue, "email")
    elif state in ("complete", "failed"):
        job.set_state(state)
    job.log("a line")
    job.remove()
    assert states_of(queue, job.id, "email") == []
    assert queue.client.exists(queue.keys.job(job.id), queue.keys.log(job.id)) == 0
    assert queue.client.zscore(queue.keys.jobs, zid(job.id)) is None
    assert queue.client.zscore(queue.keys.leases, zid(job.id)) is None
    assert events(queue, job.id)[-1] == ("remove", ["email"])
    with pytest.raises(JobNotFound):
        Job.get(job.id, queue=queue)


def test_remove_twice_is_not_found(queue):
    job = queue.create("email").save()
    queue.remove(job.id)
    with pytest.raises(JobNotFound, match=f'job "{job.id}" doesnt exist'):
        queue.remove(job.id)


@pytest.mark.parametrize("bad", ["abc", "", 0, -4, True, "1.5", 2**60])
def test_bad_ids_are_bad_input_not_missing_jobs(queue, bad):
    with pytest.raises(InvalidJob, match="invalid job id"):
        queue.remove(bad)


def test_a_removed_active_job_cannot_be_completed(queue):
    job = queue.create("email").save()
    [got] = claim(queue, "email")
    job.remove()
    assert queue.scripts("complete", 1, job.id, got["token"], 1, "") == [0]
    assert queue.client.exists(queue.keys.job(job.id)) == 0


def test_removing_all_completed_and_failed_jobs(queue):
    # Kue's "Removal" cases: every complete / failed id can be removed
    for state in ("complete", "failed", "complete"):
        queue.create("email").save().set_state(state)
    for state in ("complete", "failed"):
        for job_id in queue.ids_by_state(state):
            Job.get(job_id, queue=queue).remove()
    assert sum(queue.counts().values()) == 0
