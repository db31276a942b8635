"""Unique jobs: a second enqueue of a live (inactive, delayed, active) job's unique_key
returns that job; once it ends (complete, failed, removed) the key is free again."""

from __future__ import annotations

import threading

import pytest

from django_kue.core.errors import InvalidJob
from tests.helpers import wait_until

from .redis_state import fields


def test_a_second_enqueue_of_an_inactive_job_returns_it(queue):
    first = queue.create("email", {"to": "a"}, unique_key="welcome:a").save()
    second = queue.create("email", {"to": "a", "other": 1}, unique_key="welcome:a").save()
    assert second.id == first.id and second.duplicate and not first.duplicate
    assert second.data == {"to": "a"}  # the existing job, not the new data
    assert queue.inactive_count("email") == 1
    assert fields(queue, first.id)["unique_key"] == "welcome:a"
    # another key, or another type with the same key, is another job
    assert queue.create("email", unique_key="welcome:b").save().id != first.id
    assert queue.create("sms", unique_key="welcome:a").save().id != first.id


def test_a_delayed_job_holds_its_key(queue):
    first = queue.create("email", delay=60_000, unique_key="k").save()
    assert queue.create("email", unique_key="k").save().id == first.id
    assert queue.delayed_count("email") == 1 and queue.inactive_count("email") == 0


def test_a_callable_key_is_computed_from_the_data(queue):
    def by_user(data):
        return f"user:{data['user']}"

    a = queue.create("report", {"user": 1}, unique_key=by_user).save()
    assert queue.create("report", {"user": 1, "x": 2}, unique_key=by_user).save().id == a.id
    assert queue.create("report", {"user": 2}, unique_key=by_user).save().id != a.id
    assert queue.get_job(a.id).unique_key == "user:1"


def test_duplicates_in_one_batch_become_one_job(queue):
    jobs = queue.create_many([("email", {"n": i}, {"unique_key": "same"}) for i in range(3)]
                             + [("email", {"n": 9})])
    assert len({j.id for j in jobs[:3]}) == 1 and jobs[3].id != jobs[0].id
    assert [j.duplicate for j in jobs] == [False, True, True, False]
    assert queue.inactive_count("email") == 2


@pytest.mark.parametrize("end", ["complete", "failed", "remove"])
def test_the_key_is_free_once_the_job_ends(queue, end):
    first = queue.create("email", unique_key="k").save()
    if end == "remove":
        first.remove()
    else:
        first.set_state(end)
    assert not queue.client.hexists(queue.keys.unique("email"), "k")
    again = queue.create("email", unique_key="k").save()
    assert again.id != first.id and not again.duplicate


def test_an_active_job_holds_its_key_until_it_completes(queue, start_worker):
    release = threading.Event()
    start_worker({"email": lambda job: release.wait(10)})
    first = queue.create("email", unique_key="k").save()
    wait_until(lambda: queue.get_job(first.id).state == "active")
    assert queue.create("email", unique_key="k").save().id == first.id
    release.set()
    wait_until(lambda: queue.get_job(first.id).state == "complete")
    assert not queue.client.hexists(queue.keys.unique("email"), "k")
    assert queue.create("email", unique_key="k").save().id != first.id


def test_a_job_failing_for_good_frees_its_key(queue, start_worker):
    def boom(job):
        raise RuntimeError("no")

    start_worker({"email": boom})
    first = queue.create("email", unique_key="k").save()
    wait_until(lambda: queue.get_job(first.id).state == "failed")
    assert queue.create("email", unique_key="k").save().id != first.id


def test_a_stale_index_entry_does_not_block(queue):
    first = queue.create("email", unique_key="k").save()
    queue.client.hset(queue.keys.job(first.id), "state", "complete")  # behind the scripts' back
    assert queue.create("email", unique_key="k").save().id != first.id


@pytest.mark.parametrize("bad", ["", 3.5j, ["a"], "x" * 1001])
def test_a_bad_key_is_refused_and_nothing_saved(queue, bad):
    with pytest.raises(InvalidJob, match="unique_key"):
        queue.create("email", unique_key=bad).save()
    assert queue.counts()["inactive"] == 0


def test_a_failing_callable_refuses_the_whole_batch(queue):
    def broken(data):
        return data["missing"]

    good = queue.create("email", {"a": 1})
    bad = queue.create("email", {}, unique_key=broken)
    with pytest.raises(InvalidJob, match="unique_key callable failed"):
        queue.save_jobs([good, bad])
    assert queue.counts()["inactive"] == 0 and good.id is None
