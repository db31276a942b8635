"""Retention: complete and failed jobs do not grow Redis without bound. ``KUE["KEEP"]`` (by
count and by age, per state) and ``remove_on_complete`` are enforced as jobs finish;
``manage.py kueclean`` does one-off clean-ups; the job mirror follows every removal."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from django_kue.connection import get_queue
from django_kue.core import clock
from django_kue.core.errors import JobNotFound
from django_kue.mirror import Mirror
from django_kue.models import JobRecord
from tests.helpers import wait_until
from tests.integration.core.redis_state import events

DAY = 24 * 3600 * 1000


def keep(settings, value):
    settings.KUE = {**settings.KUE, "KEEP": value}
    return get_queue()


def gone(queue, job) -> bool:
    try:
        queue.get_job(job.id)
    except JobNotFound:
        return not queue.client.exists(queue.keys.log(job.id))
    return False


def run_all(queue, worker_on, jobs, handler=lambda job: job.data):
    worker_on(queue, {"r": handler})
    wait_until(lambda: sum(queue.counts()[s] for s in ("complete", "failed")) + sum(
        gone(queue, j) for j in jobs) >= len(jobs) and not queue.counts()["active"]
        and not queue.counts()["inactive"], 20, 0.02, "every job to finish")


def test_keep_by_count_removes_the_oldest_complete_jobs_as_jobs_finish(redis_queue, settings,
                                                                       worker_on):
    queue = keep(settings, {"complete": {"count": 5}})
    jobs = [queue.create("r", {"n": n}).save() for n in range(12)]
    run_all(queue, worker_on, jobs)
    kept = sorted(queue.ids_by_state("complete"))
    assert len(kept) == 5 and kept == [j.id for j in jobs[-5:]]  # the newest five
    removed = jobs[:-5]
    assert all(gone(queue, j) for j in removed)
    assert ("remove", ["r"]) in events(queue, removed[0].id)
    assert queue.counts("r")["complete"] == 5  # the per-type zset follows too


def test_keep_by_age_removes_jobs_finished_too_long_ago(redis_queue, settings, worker_on,
                                                        monkeypatch):
    queue = keep(settings, {"complete": {"age": DAY}, "failed": {"age": DAY}})
    old = [queue.create("r").save() for _ in range(3)]
    run_all(queue, worker_on, old)
    assert queue.counts()["complete"] == 3  # a day has not passed
    real = clock.now_ms
    monkeypatch.setattr(clock, "now_ms", lambda: real() + 2 * DAY)  # two days later ...
    new = queue.create("r").save()
    wait_until(lambda: queue.ids_by_state("complete") == [new.id], 10, 0.02,
               "the old jobs to go as the new one completes")
    assert all(gone(queue, j) for j in old)


def test_failed_jobs_are_kept_by_their_own_limits(redis_queue, settings, worker_on):
    queue = keep(settings, {"complete": None, "failed": {"count": 2}})

    def boom(job):
        raise RuntimeError("boom")

    worker_on(queue, {"bad": boom, "ok": lambda job: 1})
    bad = [queue.create("bad").save() for _ in range(4)]
    good = [queue.create("ok").save() for _ in range(4)]
    wait_until(lambda: queue.counts()["complete"] == 4 and all(gone(queue, j) for j in bad[:2]),
               20, 0.02)
    assert sorted(queue.ids_by_state("failed")) == [bad[2].id, bad[3].id]
    assert sorted(queue.ids_by_state("complete")) == [j.id for j in good]  # None: keep all


def test_keep_none_keeps_everything_as_kue(redis_queue, settings, worker_on):
    queue = keep(settings, None)
    jobs = [queue.create("r").save() for _ in range(5)]
    run_all(queue, worker_on, jobs)
    assert queue.counts()["complete"] == 5


def test_remove_on_complete_removes_the_job_as_it_completes(redis_queue, worker_on):
    job = redis_queue.create("r", {"x": 1}, remove_on_complete=True).save()
    worker_on(redis_queue, {"r": lambda job: "done"})
    wait_until(lambda: gone(redis_queue, job), 10, 0.02)
    assert [e for e, _ in events(redis_queue, job.id)][-2:] == ["complete", "remove"]
    assert redis_queue.counts() == dict.fromkeys(redis_queue.counts(), 0)


@pytest.mark.django_db
def test_the_mirror_follows_retention_and_remove_on_complete(redis_queue, settings, worker_on):
    queue = keep(settings, {"complete": {"count": 2}})
    mirror = Mirror(queue)
    mirror.ensure_group()
    jobs = [queue.create("r").save() for _ in range(5)]
    vanishing = queue.create("r", remove_on_complete=True).save()
    mirror.catch_up()
    assert JobRecord.objects.count() == 6
    run_all(queue, worker_on, jobs + [vanishing])
    mirror.catch_up()
    assert sorted(JobRecord.objects.values_list("id", flat=True)) == sorted(
        queue.ids_by_state("complete"))
    assert JobRecord.objects.count() == 2 and not JobRecord.objects.filter(id=vanishing.id).exists()


def test_kueclean_applies_keep_or_the_limits_given(redis_queue, settings):
    queue = keep(settings, None)
    jobs = [queue.create("a" if n % 2 else "b").save() for n in range(10)]
    for job in jobs:
        job.complete()
    out = io.StringIO()
    call_command("kueclean", "--keep=6", "--state=complete", "--types=a", stdout=out)
    assert "0 complete job(s) removed" in out.getvalue()  # 5 of type a: under 6
    call_command("kueclean", "--keep=2", "--state=complete", "--types=a", stdout=out)
    assert queue.counts("a")["complete"] == 2 and queue.counts("b")["complete"] == 5
    assert "3 complete job(s) removed" in out.getvalue()
    keep(settings, {"complete": {"count": 4}})
    call_command("kueclean", stdout=out)  # KEEP: the newest 4 of every type
    assert sorted(get_queue().ids_by_state("complete")) == [j.id for j in jobs[-4:]]
    call_command("kueclean", "--older-than=0", stdout=out)  # everything finished before now
    wait_until(lambda: get_queue().clean("complete", age=0) >= 0  # (and in this very ms)
               and get_queue().counts()["complete"] == 0, 5, 0.01)


@pytest.mark.parametrize("argv", [["--keep=-1"], ["--state=active", "--keep=1"],
                                  ["--state=complete"], ["--older-than=x"]])
def test_kueclean_refuses_bad_input_and_changes_nothing(redis_queue, argv):
    job = redis_queue.create("r").save().complete()
    with pytest.raises((CommandError, SystemExit)):
        call_command("kueclean", *argv, stdout=io.StringIO(), stderr=io.StringIO())
    assert redis_queue.ids_by_state("complete") == [job.id]


def test_a_bad_keep_setting_is_a_system_check_error(settings):
    from django_kue.conf import validate

    for bad in ({"active": {"count": 1}}, {"complete": {"count": -1}}, {"complete": {"days": 1}},
                "all", {"failed": {"age": 1.5}}):
        settings.KUE = {"KEEP": bad}
        assert [p[0] for p in validate()] == ["E002"], bad
    settings.KUE = {"KEEP": {"complete": {"count": 0}, "failed": None}}
    assert validate() == []
