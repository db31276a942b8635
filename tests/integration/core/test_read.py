"""Reading jobs back: Job.get, ranges by state / type / all with asc and desc, counts, types."""

from __future__ import annotations

import pytest

from django_kue.core.errors import InvalidJob, InvalidState, JobNotFound
from django_kue.core.job import Job

from .redis_state import claim


def test_job_get_loads_every_field(queue):
    saved = queue.create("email", {"title": "hi"}, priority="low", attempts=2).save()
    job = Job.get(saved.id, queue=queue)
    assert (job.id, job.type, job.data, job.state, job.priority) == (saved.id, "email", {"title": "hi"},
                                                                     "inactive", 10)
    assert Job.get(str(saved.id), queue=queue).id == saved.id
    with pytest.raises(JobNotFound, match='job "123456789" doesnt exist'):
        Job.get(123456789, queue=queue)
    with pytest.raises(InvalidJob):
        Job.get("seven", queue=queue)


def test_ranges_by_state_follow_the_states_order(queue):
    low = queue.create("email", priority="low").save()
    high = queue.create("email", priority="high").save()
    normal = queue.create("video").save()
    ids = lambda jobs: [j.id for j in jobs]  # noqa: E731
    assert ids(queue.range_by_state("inactive", 0, -1)) == [high.id, normal.id, low.id]
    assert ids(queue.range_by_state("inactive", 0, 0, "desc")) == [low.id]
    assert ids(Job.range_by_type("email", "inactive", 0, 10, queue=queue)) == [high.id, low.id]
    assert ids(Job.range_by_type("email", "inactive", 0, 10, "desc", queue=queue)) == [low.id, high.id]
    assert ids(Job.range(0, 1, queue=queue)) == [low.id, high.id]
    assert ids(Job.range(0, 0, "desc", queue=queue)) == [normal.id]


def test_desc_on_complete_gives_the_newest_finished(queue):
    jobs = [queue.create("email").save() for _ in range(4)]
    tokens = {g["id"]: g["token"] for g in claim(queue, "email", 4)}
    for t, j in enumerate(reversed(jobs)):  # the newest id finishes first
        queue.scripts("complete", 2_000_000 + t, j.id, tokens[j.id], 1, "")
    assert [j.id for j in queue.range_by_state("complete", 0, 1, "desc")] == [jobs[0].id, jobs[1].id]
    assert [j.id for j in queue.range_by_state("complete", 0, 0)] == [jobs[3].id]


def test_bad_range_input_is_refused(queue):
    for args in [("inactive", 0, 5, "up"), ("inactive", 5, 1), ("inactive", 0, 10_000),
                 ("inactive", 0.5, 3)]:
        with pytest.raises(InvalidJob):
            queue.range_by_state(*args)
    with pytest.raises(InvalidState):
        queue.range_by_state("stuck", 0, 5)


def test_empty_ranges_and_counts(queue):
    assert queue.range_by_state("failed", 0, 10) == []
    assert queue.counts("nothing") == dict.fromkeys(("inactive", "delayed", "active", "complete",
                                                     "failed"), 0)
    assert queue.types() == [] and queue.work_time() is None


def test_prefixes_keep_queues_apart(queue):
    # Kue's prefix.coffee: a job under one prefix is not counted under another
    from django_kue.core import KueConfig, Queue

    other = Queue(queue.client, KueConfig(prefix=queue.config.prefix + "-other"))
    try:
        other.create("email").save()
        assert other.inactive_count() == 1 and queue.inactive_count() == 0
        assert queue.types() == []
    finally:
        k = other.keys  # (a SCAN of a shared Redis would be slow)
        other.client.delete(k.ids, k.jobs, k.types, k.job(1), k.log(1), k.state("inactive"),
                            k.type_state("email", "inactive"), k.wake("email"), k.events)
