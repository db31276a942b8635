"""save.lua / update.lua: a new job lands in exactly one state with Kue's fields."""

from __future__ import annotations

import pytest

from django_kue.core import clock
from django_kue.core.errors import InvalidJob, PayloadTooLarge

from .redis_state import assert_state, events, fields, score


def test_a_new_job_is_inactive_scored_by_priority(queue):
    before = clock.now_ms()
    job = queue.create("email", {"title": "welcome", "to": "a@b.c"}, priority="high").save()
    assert isinstance(job.id, int) and job.state == "inactive"
    f = assert_state(queue, job.id, "email", "inactive")
    assert f["type"] == "email" and f["data"] == '{"title":"welcome","to":"a@b.c"}'
    assert f["priority"] == "-10" and f["max_attempts"] == "1" and f["attempts"] == "0"
    assert before <= int(f["created_at"]) <= clock.now_ms()
    assert f["promote_at"] == f["created_at"] and f["progress"] == "0"
    for absent in ("delay", "ttl", "backoff", "removeOnComplete", "search_keys", "token"):
        assert absent not in f
    assert score(queue, job.id, "inactive") == -10
    assert score(queue, job.id, "inactive", "email") == -10
    assert queue.types() == ["email"]
    assert queue.client.llen(queue.keys.wake("email")) == 1  # the doorbell of its type
    assert events(queue, job.id) == [("enqueue", ["email"])]


def test_ids_are_increasing_integers(queue):
    ids = [queue.create("email").save().id for _ in range(3)]
    assert ids == [ids[0], ids[0] + 1, ids[0] + 2]


def test_a_delayed_job_is_scored_by_promote_at(queue):
    job = queue.create("email", delay=5000, ttl=100, attempts=3, remove_on_complete=True,
                       backoff={"type": "exponential", "delay": 10}, search_keys=["to"]).save()
    assert job.state == "delayed"
    f = assert_state(queue, job.id, "email", "delayed")
    assert int(f["promote_at"]) == int(f["created_at"]) + 5000
    assert score(queue, job.id, "delayed") == int(f["promote_at"])
    assert (f["delay"], f["ttl"], f["max_attempts"], f["removeOnComplete"]) == ("5000", "100", "3", "true")
    assert f["backoff"] == '{"type":"exponential","delay":10}' and f["search_keys"] == '["to"]'
    assert queue.client.llen(queue.keys.timer) == 1  # the first due job rings the timer
    assert events(queue, job.id) == [("delayed", [])]


def test_a_later_delayed_job_does_not_ring_the_timer(queue):
    queue.create("email", delay=1000).save()
    queue.create("email", delay=5000).save()
    assert queue.client.llen(queue.keys.timer) == 1
    queue.create("email", delay=10).save()  # earlier than every other: rings again
    assert queue.client.llen(queue.keys.timer) == 2


def test_counts_per_state_overall_and_per_type(queue):
    queue.create("email").save()
    queue.create("email", delay=9000).save()
    queue.create("video").save()
    assert queue.counts() == {"inactive": 2, "delayed": 1, "active": 0, "complete": 0, "failed": 0}
    assert queue.counts("email")["inactive"] == 1 and queue.delayed_count("email") == 1
    assert queue.inactive_count("video") == 1 and queue.inactive_count() == 2
    assert queue.types() == ["email", "video"]


def test_create_many_saves_in_one_call(queue):
    jobs = queue.create_many([("email", {"n": 1}), ("video", {"n": 2}, {"priority": "low"})])
    assert [j.state for j in jobs] == ["inactive", "inactive"]
    assert fields(queue, jobs[1].id)["priority"] == "10"


@pytest.mark.parametrize("data, error", [
    ({"when": object()}, InvalidJob),
    ({"n": float("nan")}, InvalidJob),
    ({"big": "x" * 2000}, PayloadTooLarge),
])
def test_bad_payload_is_refused_and_nothing_is_written(queue, settings, data, error):
    settings.KUE = {**settings.KUE, "MAX_PAYLOAD": 1000}
    from django_kue import get_queue

    q = get_queue()
    good = q.create("email", {"ok": 1})
    with pytest.raises(error):
        q.create_many([good, q.create("email", data)])
    assert good.id is None
    assert q.client.exists(q.keys.ids, q.keys.jobs, q.keys.types, q.keys.job(1), q.keys.events,
                           q.keys.state("inactive"), q.keys.wake("email")) == 0


def test_saving_twice_through_save_jobs_is_refused(queue):
    job = queue.create("email").save()
    with pytest.raises(InvalidJob, match="already saved"):
        queue.save_jobs([job])


def test_update_refiles_by_the_new_priority(queue):
    job = queue.create("email", {"v": 1}).save()
    job.set(priority="critical", attempts=4, ttl=50)
    job.data["v"] = 2
    job.save()
    f = assert_state(queue, job.id, "email", "inactive")
    assert (f["priority"], f["max_attempts"], f["ttl"], f["data"]) == ("-15", "4", "50", '{"v":2}')
    assert score(queue, job.id, "inactive", "email") == -15


def test_update_of_a_delayed_job_recomputes_promote_at_from_created_at(queue):
    # Kue's test.coffee: delay 300 then delay(100).save() -> promoted about created + 100
    job = queue.create("email", delay=300_000).save()
    created = int(fields(queue, job.id)["created_at"])
    job.set(delay=100_000).save()
    f = assert_state(queue, job.id, "email", "delayed")
    assert int(f["promote_at"]) == created + 100_000
    assert score(queue, job.id, "delayed") == created + 100_000


def test_update_to_a_past_due_delay_promotes_at_once(queue):
    job = queue.create("email", delay=60_000).save()
    job.set(delay=0).save()
    assert job.state == "inactive"
    f = assert_state(queue, job.id, "email", "inactive")
    assert "delay" not in f


def test_update_clears_options_set_back_to_default(queue):
    job = queue.create("email", ttl=500, backoff=True, remove_on_complete=True).save()
    job.set(ttl=0, backoff=None, remove_on_complete=False).save()
    f = fields(queue, job.id)
    assert not {"ttl", "backoff", "removeOnComplete"} & set(f)


def test_update_of_a_removed_job_is_not_found(queue):
    from django_kue.core.errors import JobNotFound

    job = queue.create("email").save()
    job.remove()
    with pytest.raises(JobNotFound):
        job.save()


def test_create_many_batches_zsets_and_doorbells_with_the_same_outcome(queue):
    """save.lua batches a call's zset adds, types and doorbells per type: every job still lands
    in exactly one state, in id order, FIFO within a priority, one doorbell token per new job
    up to the cap, and each job's own event in order. Over 2,000 jobs (unpack() slices)."""
    specs = []
    for i in range(2500):
        if i % 500 == 7:
            specs.append(("video", {"i": i}, {"delay": 60_000}))
        else:
            specs.append(("email" if i % 3 else "video", {"i": i}, {"priority": "high"} if i % 5 == 0 else {}))
    jobs = queue.create_many(specs)
    ids = [j.id for j in jobs]
    assert ids == list(range(ids[0], ids[0] + 2500))
    assert int(queue.client.get(queue.keys.ids)) == ids[-1]
    delayed = [j for j in jobs if j.delay]
    assert [j.state for j in delayed] == ["delayed"] * 5
    for j in (jobs[0], jobs[1], jobs[7], jobs[2499]):
        assert_state(queue, j.id, j.type, j.state)
    assert queue.counts() == {"inactive": 2495, "delayed": 5, "active": 0, "complete": 0, "failed": 0}
    assert queue.client.zcard(queue.keys.jobs) == 2500
    assert queue.types() == ["email", "video"]
    for t in ("email", "video"):
        assert queue.client.llen(queue.keys.wake(t)) == 32  # WAKE_CAP
        expected = sorted((j for j in jobs if j.type == t and not j.delay),
                          key=lambda j: (j.priority, j.id))
        assert [j.id for j in queue.range_by_type(t, "inactive", 0, -1)] == [j.id for j in expected]
    assert fields(queue, jobs[7].id)["state"] == "delayed" and "delay" in fields(queue, jobs[7].id)
    assert events(queue, jobs[7].id) == [("delayed", [])]
    assert events(queue, jobs[8].id) == [("enqueue", ["video" if 8 % 3 == 0 else "email"])]


def test_a_small_batch_rings_one_doorbell_per_job(queue):
    queue.create_many([("email", {})] * 3 + [("video", {})])
    assert queue.client.llen(queue.keys.wake("email")) == 3
    assert queue.client.llen(queue.keys.wake("video")) == 1


def test_create_many_pipelines_its_chunks_and_reloads_a_flushed_script(queue):
    """create_many sends chunk k + 1 before reading chunk k's reply (scripts.many). With the
    scripts flushed from Redis, the calls answered NOSCRIPT are run again once loaded: every
    job is saved exactly once, ids in order, and each enqueue event is written once."""
    from django_kue.core.queue import SAVE_CHUNK

    queue.client.script_flush()
    n = SAVE_CHUNK * 3 + 17
    jobs = queue.create_many([("email", {"i": i}) for i in range(n)])
    ids = [j.id for j in jobs]
    assert ids == list(range(ids[0], ids[0] + n))
    assert int(queue.client.get(queue.keys.ids)) == ids[-1]
    assert queue.counts()["inactive"] == n
    assert [j.data["i"] for j in queue.range_by_state("inactive", 0, n, "asc")] == list(range(n))
    enqueued = [e for _, e in queue.client.xrange(queue.keys.events) if e[b"event"] == b"enqueue"]
    assert [int(e[b"id"]) for e in enqueued] == ids


def test_create_many_after_redis_closed_its_pooled_connection(redis_queue, redis_client):
    """scripts.many takes a connection from the pool itself (not through redis-py's retrying
    execute_command): one Redis closed meanwhile (a restart, a timeout) is replaced on the way."""
    from django_kue.core.queue import SAVE_CHUNK

    redis_queue.create_many([("email", {})])
    stale = redis_queue.client.client_id()  # the pooled connection create_many uses next
    assert redis_client.client_kill_filter(_id=stale) == 1
    jobs = redis_queue.create_many([("email", {"i": i}) for i in range(SAVE_CHUNK + 5)])
    assert [j.data["i"] for j in redis_queue.range_by_state("inactive", 1, SAVE_CHUNK + 5)] == \
        list(range(SAVE_CHUNK + 5))
    assert redis_queue.counts()["inactive"] == len(jobs) + 1
