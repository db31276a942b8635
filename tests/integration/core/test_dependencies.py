"""Dependencies: a job waits (delayed, no due time) until every dependency completes; it
fails, or is cancelled by option, when one fails, is cancelled or removed; jobs waiting for
it follow. Parent and child ids are on both jobs."""

from __future__ import annotations

import pytest

from django_kue.core.errors import InvalidJob
from tests.helpers import wait_until

from .redis_state import assert_state, events, fields


def test_a_job_waits_until_every_dependency_completes(queue):
    a, b = queue.create("fetch").save(), queue.create("fetch").save()
    child = queue.create("merge", depends_on=[a, b.id]).save()
    f = assert_state(queue, child.id, "merge", "delayed")
    assert f["waiting"] == "2" and queue.delayed_count("merge") == 1
    loaded = queue.get_job(child.id)
    assert loaded.dependencies == [a.id, b.id] and loaded.waiting == 2
    assert queue.get_job(a.id).dependents == [child.id]
    assert queue.promote() == 0  # never due by time
    a.set_state("complete")
    assert assert_state(queue, child.id, "merge", "delayed")["waiting"] == "1"
    b.set_state("complete")
    f = assert_state(queue, child.id, "merge", "inactive")
    assert "waiting" not in f
    assert events(queue, child.id)[-1] == ("enqueue", ["merge"])


def test_complete_dependencies_do_not_hold_a_job(queue):
    done = queue.create("fetch").save().set_state("complete")
    child = queue.create("merge", depends_on=[done]).save()
    assert_state(queue, child.id, "merge", "inactive")
    assert queue.get_job(child.id).dependencies == [done.id]


def test_a_released_job_with_a_delay_is_delayed_by_it(queue):
    a = queue.create("fetch").save()
    child = queue.create("merge", depends_on=[a], delay=60_000).save()
    a.set_state("complete")
    f = assert_state(queue, child.id, "merge", "delayed")
    assert int(f["promote_at"]) > int(f["updated_at"]) + 59_000


def test_a_failed_dependency_fails_the_chain(queue):
    a = queue.create("fetch").save()
    child = queue.create("merge", depends_on=[a]).save()
    grandchild = queue.create("report", depends_on=[child]).save()
    a.set_state("failed")
    f = assert_state(queue, child.id, "merge", "failed")
    assert f["error"] == f"dependency {a.id} failed" and "cancelled" not in f
    g = assert_state(queue, grandchild.id, "report", "failed")
    assert g["error"] == f"dependency {child.id} failed"
    assert ("failed", [f"dependency {a.id} failed"]) in events(queue, child.id)


def test_on_dependency_failure_cancel(queue):
    a = queue.create("fetch").save()
    child = queue.create("merge", depends_on=[a], on_dependency_failure="cancel").save()
    a.cancel()
    f = assert_state(queue, child.id, "merge", "failed")
    assert f["cancelled"] == "1" and f["error"] == f"cancelled: dependency {a.id} cancelled"


def test_a_removed_dependency_fails_its_dependents(queue):
    a = queue.create("fetch").save()
    child = queue.create("merge", depends_on=[a]).save()
    a.remove()
    assert assert_state(queue, child.id, "merge", "failed")["error"] == f"dependency {a.id} removed"


def test_a_dependency_failed_already_fails_the_new_job_at_once(queue):
    a = queue.create("fetch").save().set_state("failed")
    child = queue.create("merge", depends_on=[a], unique_key="m").save()
    assert assert_state(queue, child.id, "merge", "failed")["error"] == f"dependency {a.id} failed"
    assert not queue.client.hexists(queue.keys.unique("merge"), "m")


def test_a_waiting_job_can_be_cancelled(queue):
    a = queue.create("fetch").save()
    child = queue.create("merge", depends_on=[a]).save()
    child.cancel()
    assert_state(queue, child.id, "merge", "failed")
    a.set_state("complete")  # releasing a cancelled job does nothing
    assert_state(queue, child.id, "merge", "failed")


@pytest.mark.parametrize("bad, words", [
    ([999_999], "job 999999 doesnt exist"),
    (["x"], "saved jobs or job ids"),
    ([0], "saved jobs or job ids"),
])
def test_bad_dependencies_are_refused_and_nothing_is_saved(queue, bad, words):
    good = queue.create("fetch").save()
    before = queue.client.get(queue.keys.ids)
    with pytest.raises(InvalidJob, match=words):
        queue.save_jobs([queue.create("merge"), queue.create("merge", depends_on=[good, *bad])])
    assert queue.client.get(queue.keys.ids) == before and queue.counts()["inactive"] == 1


def test_an_unsaved_dependency_is_refused(queue):
    with pytest.raises(InvalidJob, match="save a job"):
        queue.create("merge", depends_on=[queue.create("fetch")])


def test_policy_is_validated(queue):
    with pytest.raises(InvalidJob, match="on_dependency_failure"):
        queue.create("merge", on_dependency_failure="ignore")


def test_workers_run_a_chain_in_order(queue, start_worker):
    order = []
    start_worker({"step": lambda job: order.append(job.data["n"])}, concurrency=3)
    first = queue.create("step", {"n": 1}, delay=300).save()
    second = queue.create("step", {"n": 2}, depends_on=[first]).save()
    third = queue.create("step", {"n": 3}, depends_on=[first, second]).save()
    wait_until(lambda: queue.get_job(third.id).state == "complete")
    assert order == [1, 2, 3]
    assert queue.get_job(first.id).dependents == [second.id, third.id]


def test_a_dependency_failing_in_a_worker_fails_the_dependent(queue, start_worker):
    def boom(job):
        raise RuntimeError("no")

    start_worker({"fetch": boom, "merge": lambda job: None})
    a = queue.create("fetch", attempts=2).save()
    child = queue.create("merge", depends_on=[a]).save()
    wait_until(lambda: queue.get_job(child.id).state == "failed")
    assert queue.get_job(a.id).attempts_made == 2  # failed for good first, then the child
    assert fields(queue, child.id)["error"] == f"dependency {a.id} failed"


def test_a_parent_removed_on_complete_still_releases(queue, start_worker):
    start_worker({"fetch": lambda job: None})
    a = queue.create("fetch", remove_on_complete=True, delay=200).save()
    child = queue.create("merge", depends_on=[a]).save()
    wait_until(lambda: queue.get_job(child.id).state == "inactive")
    assert not queue.client.exists(queue.keys.job(a.id))
