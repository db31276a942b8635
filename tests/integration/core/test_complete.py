"""complete.lua: fenced by the token; result, duration, attempts; complete before remove."""

from __future__ import annotations

from django_kue.core import clock

from .redis_state import assert_state, claim, events, fields, score, zid


def complete(queue, *groups, now=None):
    args = [now or clock.now_ms()]
    for g in groups:
        args += list(g)
    return queue.scripts("complete", *args)


def test_complete_records_result_duration_and_an_attempt(queue):
    job = queue.create("email").save()
    [got] = claim(queue, "email")
    now = clock.now_ms()
    assert complete(queue, (job.id, got["token"], 42, '{"sent":true}'), now=now) == [1]
    f = assert_state(queue, job.id, "email", "complete")
    assert (f["result"], f["duration"], f["progress"], f["attempts"]) == ('{"sent":true}', "42", "100", "1")
    assert score(queue, job.id, "complete") == now  # complete is scored by finish time
    assert queue.client.zscore(queue.keys.leases, zid(job.id)) is None
    assert queue.work_time() == 42
    assert events(queue, job.id)[-1] == ("complete", [{"sent": True}])
    assert queue.get_job(job.id).result == {"sent": True}


def test_no_result_stores_none(queue):
    job = queue.create("email").save()
    [got] = claim(queue, "email")
    complete(queue, (job.id, got["token"], 1, ""))
    assert "result" not in fields(queue, job.id)
    assert events(queue, job.id)[-1] == ("complete", [None])


def test_a_stale_token_is_refused_and_changes_nothing(queue):
    job = queue.create("email").save()
    claim(queue, "email")
    before = fields(queue, job.id)
    assert complete(queue, (job.id, "0", 5, '"late"'), (job.id, "", 5, "")) == [0, 0]
    assert fields(queue, job.id) == before
    assert_state(queue, job.id, "email", "active")


def test_a_job_no_longer_active_cannot_be_completed(queue):
    job = queue.create("email").save()
    [got] = claim(queue, "email")
    job.inactive()
    assert complete(queue, (job.id, got["token"], 5, "")) == [0]
    assert_state(queue, job.id, "email", "inactive")


def test_batch_completes_each_job(queue):
    a, b = queue.create("email").save(), queue.create("email").save()
    got = claim(queue, "email", 2)
    assert complete(queue, *[(j["id"], j["token"], 1, "") for j in got]) == [1, 1]
    assert queue.complete_count("email") == 2
    assert a.refresh().state == b.refresh().state == "complete"


def test_remove_on_complete_sends_complete_then_remove(queue):
    job = queue.create("email", remove_on_complete=True).save()
    [got] = claim(queue, "email")
    assert complete(queue, (job.id, got["token"], 3, "7")) == [1]
    assert queue.client.exists(queue.keys.job(job.id), queue.keys.log(job.id)) == 0
    assert sum(queue.counts().values()) == 0
    assert queue.client.zcard(queue.keys.jobs) == 0
    assert [e for e, _ in events(queue, job.id)][-2:] == ["complete", "remove"]
    assert events(queue, job.id)[-2] == ("complete", [7])
