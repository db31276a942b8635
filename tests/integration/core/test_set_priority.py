"""set_priority.lua: a queued job moves to its new place at once; others just keep the value."""

from __future__ import annotations

import pytest

from django_kue.core.errors import InvalidPriority, JobNotFound

from .redis_state import assert_state, claim, events, fields, score


def test_a_queued_job_is_reordered(queue):
    a, b, c = (queue.create("email", {"n": n}).save() for n in range(3))
    c.set_priority("critical")
    queue.set_priority(a.id, 5)
    assert score(queue, c.id, "inactive") == -15 and score(queue, c.id, "inactive", "email") == -15
    assert [j["id"] for j in claim(queue, "email", 3)] == [c.id, b.id, a.id]
    assert events(queue, c.id)[-2] == ("priority", [-15, 0])


def test_names_and_numbers_and_bad_values(queue):
    job = queue.create("email").save()
    queue.set_priority(job.id, "high")
    assert fields(queue, job.id)["priority"] == "-10"
    assert job.refresh().priority == -10
    before = fields(queue, job.id)
    for bad in ("urgent", 1.5, None):
        with pytest.raises(InvalidPriority):
            queue.set_priority(job.id, bad)
    assert fields(queue, job.id) == before


def test_a_delayed_job_keeps_its_due_time(queue):
    job = queue.create("email", delay=60_000).save()
    due = score(queue, job.id, "delayed")
    job.set_priority("low")
    f = assert_state(queue, job.id, "email", "delayed")
    assert f["priority"] == "10" and score(queue, job.id, "delayed") == due


def test_an_active_job_is_rescored(queue):
    job = queue.create("email").save()
    claim(queue, "email")
    job.set_priority(-3)
    assert score(queue, job.id, "active") == -3


def test_a_missing_job_is_not_found(queue):
    with pytest.raises(JobNotFound):
        queue.set_priority(424242, "high")
