"""claim.lua: lowest priority first, FIFO within a priority, per type; promotion on the way."""

from __future__ import annotations

from django_kue.core import clock

from .redis_state import assert_state, claim, events, fields, score, zid


def test_claim_activates_with_a_token_and_a_lease(queue):
    job = queue.create("email", priority="high").save()
    now = clock.now_ms()
    [got] = claim(queue, "email", lease=5000, worker="kue:host:1", now=now)
    assert got["id"] == job.id and got["token"] == "1" and got["state"] == "active"
    f = assert_state(queue, job.id, "email", "active")
    assert f["workerId"] == "kue:host:1" and f["started_at"] == str(now)
    assert score(queue, job.id, "active") == -10  # active is scored by priority
    assert queue.client.zscore(queue.keys.leases, zid(job.id)) == now + 5000
    assert events(queue, job.id)[-1] == ("start", ["email"])


def test_priority_then_fifo_across_kues_five_levels(queue):
    order = ["low", "normal", "critical", "medium", "high", "critical", "normal", "low"]
    jobs = [queue.create("email", {"i": i}, priority=p).save() for i, p in enumerate(order)]
    got = [j["id"] for j in claim(queue, "email", 100)]
    by = {j.id: j for j in jobs}
    assert [by[i].data["i"] for i in got] == [2, 5, 4, 3, 1, 6, 0, 7]


def test_fifo_holds_past_ten_jobs(queue):
    # zid members: id 10 must not sort before id 9
    ids = [queue.create("email").save().id for _ in range(25)]
    assert [j["id"] for j in claim(queue, "email", 25)] == ids


def test_claim_takes_only_the_types_asked_and_at_most_n(queue):
    e1, v1, e2 = (queue.create(t).save() for t in ("email", "video", "email"))
    assert [j["id"] for j in claim(queue, "email", 1)] == [e1.id]
    assert_state(queue, v1.id, "video", "inactive")
    assert_state(queue, e2.id, "email", "inactive")
    assert claim(queue, "sms", 5) == []


def test_claim_promotes_due_delayed_jobs_first(queue):
    job = queue.create("email", delay=50).save()
    f = fields(queue, job.id)
    assert claim(queue, "email", now=int(f["promote_at"]) - 1) == []
    assert_state(queue, job.id, "email", "delayed")
    [got] = claim(queue, "email", now=int(f["promote_at"]))
    assert got["id"] == job.id
    assert [e for e, _ in events(queue, job.id)] == ["delayed", "promotion", "enqueue", "start"]


def test_claim_reports_the_next_due_time(queue):
    reply = queue.scripts("claim", clock.now_ms(), "w", 1000, 10, "email", 1)
    assert reply[0] == -1
    job = queue.create("email", delay=60_000).save()
    reply = queue.scripts("claim", clock.now_ms(), "w", 1000, 10, "email", 1)
    assert reply[0] == int(fields(queue, job.id)["promote_at"])


def test_each_claim_gets_a_new_token(queue):
    job = queue.create("email").save()
    claim(queue, "email")
    job.inactive()
    [again] = claim(queue, "email")
    assert again["token"] == "2"


def test_a_vanished_job_is_skipped(queue):
    a, b = queue.create("email").save(), queue.create("email").save()
    queue.client.delete(queue.keys.job(a.id))  # a hash lost outside the scripts
    assert [j["id"] for j in claim(queue, "email", 2)] == [b.id]
    assert queue.inactive_count() == 0
