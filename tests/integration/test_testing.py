"""django_kue.testing: Kue's test mode (saves recorded, not written) and run_jobs (a burst
worker in this process), as Kue's test/test_mode.js exercises them."""

from __future__ import annotations

import pytest

from django_kue.core.errors import InvalidJob
from django_kue.registry import get_job_type
from django_kue.testing import kue_test_mode, run_jobs


def _keys(queue):
    k = queue.keys  # what a save writes (a SCAN of a shared Redis would be slow)
    return [key for key in (k.ids, k.jobs, k.types, k.job(1), k.events, k.state("inactive"),
                            k.state("delayed")) if queue.client.exists(key)]


def test_test_mode_records_saves_and_writes_nothing(queue):
    with kue_test_mode() as kue:
        job = queue.create("email", {"to": "a@b.c"}, priority="high").save()
        delayed = get_job_type("t.echo").enqueue({"n": 1}, delay=5000)
    assert [(j.type, j.data) for j in kue.jobs] == [("email", {"to": "a@b.c"}), ("t.echo", {"n": 1})]
    assert job.id is not None and job.state == "inactive" and delayed.state == "delayed"
    assert kue.of_type("t.echo") == [delayed]
    assert _keys(queue) == []


def test_clear_empties_the_record(queue):
    with kue_test_mode() as kue:
        queue.create("email").save()
        kue.clear()
        assert kue.jobs == []


def test_test_mode_still_validates(queue):
    with kue_test_mode() as kue:
        with pytest.raises(InvalidJob):
            queue.create("email", attempts=0)
        assert kue.jobs == []


def test_process_mode_records_and_really_saves(queue):
    with kue_test_mode(process=True) as kue:
        job = get_job_type("t.echo").enqueue({"n": 2})
    assert kue.jobs == [job]
    assert run_jobs(["t.echo"]) == 1
    assert job.refresh().state == "complete" and job.result == {"n": 2}


def test_after_exit_saves_go_to_redis_and_are_processed(queue):
    with kue_test_mode() as kue:
        pass
    job = get_job_type("t.echo").enqueue({"n": 3})
    assert kue.jobs == [] and queue.inactive_count("t.echo") == 1
    assert run_jobs(["t.echo"]) == 1
    assert job.refresh().result == {"n": 3}


def test_run_jobs_runs_until_the_queue_is_empty(queue):
    jobs = [get_job_type("t.echo").enqueue({"i": i}) for i in range(7)]
    later = get_job_type("t.echo").enqueue({"i": 99}, delay=60_000)
    assert run_jobs(["t.echo"]) == 7
    assert all(j.refresh().state == "complete" for j in jobs)
    assert later.refresh().state == "delayed"  # not due: left alone
    assert run_jobs(["t.echo"]) == 0


def test_run_jobs_max_jobs_and_unknown_types(queue):
    for i in range(3):
        get_job_type("t.echo").enqueue({"i": i})
    assert run_jobs(["t.echo"], max_jobs=2) == 2
    assert queue.inactive_count("t.echo") == 1
    with pytest.raises(InvalidJob, match="no @kue_job handler"):
        run_jobs(["no.such.type"])
