"""heartbeat.lua renews leases and reports lost jobs; recover.lua fails expired ones as
"stalled", so they retry by the usual rules (at-least-once)."""

from __future__ import annotations

from django_kue.core import clock

from .redis_state import assert_state, claim, events, zid


def test_heartbeat_extends_the_lease_of_held_jobs(queue):
    job = queue.create("email").save()
    [got] = claim(queue, "email", lease=1000, now=1_000)
    assert queue.client.zscore(queue.keys.leases, zid(job.id)) == 2_000
    assert queue.scripts("heartbeat", 5_000, 1000, job.id, got["token"]) == []
    assert queue.client.zscore(queue.keys.leases, zid(job.id)) == 6_000


def test_heartbeat_reports_jobs_lost_and_does_not_revive_them(queue):
    kept, moved, gone = (queue.create("email").save() for _ in range(3))
    got = {j["id"]: j["token"] for j in claim(queue, "email", 3)}
    moved.set_state("failed")
    gone.remove()
    args = [a for j in (kept, moved, gone) for a in (j.id, got[j.id])]
    assert sorted(queue.scripts("heartbeat", clock.now_ms(), 1000, *args)) == sorted([moved.id, gone.id])
    assert queue.client.zcard(queue.keys.leases) == 1
    assert queue.scripts("heartbeat", clock.now_ms(), 1000, kept.id, "7") == [kept.id]  # wrong token


def test_recover_fails_expired_leases_as_stalled_and_retries(queue):
    job = queue.create("email", attempts=2).save()
    claim(queue, "email", lease=1000, now=10_000)
    assert queue.scripts("recover", 10_999, 100) == []  # not yet expired
    assert queue.scripts("recover", 11_000, 100) == [job.id]
    f = assert_state(queue, job.id, "email", "inactive")
    assert (f["error"], f["attempts"]) == ("stalled", "1")
    assert queue.client.zscore(queue.keys.leases, zid(job.id)) is None
    assert events(queue, job.id)[-2] == ("failed attempt", ["stalled", 1])
    claim(queue, "email", lease=1000, now=20_000)
    assert queue.recover_stalled() == [job.id]  # now is long past 21_000
    f = assert_state(queue, job.id, "email", "failed")
    assert (f["error"], f["attempts"]) == ("stalled", "2")


def test_recovery_honours_the_stored_backoff(queue):
    job = queue.create("email", attempts=3, backoff={"type": "exponential", "delay": 100}).save()
    claim(queue, "email", lease=10, now=1_000)
    queue.scripts("recover", 2_000, 100)
    f = assert_state(queue, job.id, "email", "delayed")
    assert int(f["promote_at"]) == 2_100


def test_recover_drops_stray_leases_of_jobs_no_longer_active(queue):
    job = queue.create("email").save()
    queue.client.zadd(queue.keys.leases, {zid(job.id): 1})  # e.g. left by a crash mid-way
    assert queue.scripts("recover", 5, 100) == []
    assert queue.client.zcard(queue.keys.leases) == 0
    assert_state(queue, job.id, "email", "inactive")
