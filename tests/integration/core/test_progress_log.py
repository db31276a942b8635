"""progress.lua / log.lua: written by the holder of the token (or from outside a worker)."""

from __future__ import annotations

import pytest

from django_kue.core.errors import LeaseLost

from .redis_state import claim, events, fields


def test_progress_from_outside_a_worker(queue):
    job = queue.create("video").save()
    assert job.progress(1, 2, {"notifyTime": 5}) == 50  # Kue's test.coffee case
    f = fields(queue, job.id)
    assert (f["progress"], f["progress_data"]) == ("50", '{"notifyTime":5}')
    assert events(queue, job.id)[-1] == ("progress", [50, {"notifyTime": 5}])
    assert job.progress() == 50


def test_log_from_outside_a_worker(queue):
    job = queue.create("video").save()
    job.log("step %d of %d", 1, 3)
    assert job.logs() == ["step 1 of 3"]
    assert queue.log_lines(job.id) == ["step 1 of 3"]


def _held(queue):
    job = queue.create("video").save()
    [got] = claim(queue, "video")
    job._token = got["token"]
    return job


def test_the_holder_writes_progress_and_log(queue):
    job = _held(queue)
    job.progress(3, 4)
    job.log("working")
    assert fields(queue, job.id)["progress"] == "75"
    assert job.logs() == ["working"]


@pytest.mark.parametrize("how", ["set_state", "remove", "reclaimed"])
def test_a_worker_that_lost_the_job_gets_lease_lost(queue, how):
    job = _held(queue)
    if how == "set_state":
        queue.set_state(job.id, "inactive")
    elif how == "remove":
        queue.remove(job.id)
    else:
        queue.set_state(job.id, "inactive")
        claim(queue, "video", worker="w2")  # another worker now holds token 2
    with pytest.raises(LeaseLost):
        job.log("late line")
    with pytest.raises(LeaseLost):
        job.progress(1, 1)
    if how != "remove":
        assert "late line" not in job.logs()
        assert fields(queue, job.id)["progress"] == "0"


def test_writes_to_a_missing_job_do_nothing(queue):
    assert queue.append_log(999_999, "", ["x"]) is False
    assert queue.write_progress(999_999, "", 5, "") is False
    assert queue.client.exists(queue.keys.log(999_999), queue.keys.job(999_999)) == 0
