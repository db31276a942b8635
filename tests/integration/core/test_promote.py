"""promote.lua: due delayed jobs become inactive (promotion, then enqueue), up to a limit."""

from __future__ import annotations

from django_kue.core import clock

from .redis_state import assert_state, events, fields


def promote(queue, now, limit=1000):
    promoted, next_due = queue.scripts("promote", now, limit)
    return promoted, next_due


def test_only_due_jobs_are_promoted(queue):
    soon = queue.create("email", {"n": 1}, delay=100, priority="high").save()
    later = queue.create("email", {"n": 2}, delay=60_000).save()
    due = int(fields(queue, soon.id)["promote_at"])
    assert promote(queue, due - 1) == (0, due)
    assert promote(queue, due) == (1, int(fields(queue, later.id)["promote_at"]))
    f = assert_state(queue, soon.id, "email", "inactive")
    assert queue.client.zscore(queue.keys.state("inactive"), f"{len(str(soon.id)):02d}|{soon.id}") == -10
    assert f["updated_at"] == str(due)
    assert_state(queue, later.id, "email", "delayed")
    assert [e for e, _ in events(queue, soon.id)] == ["delayed", "promotion", "enqueue"]
    assert queue.client.llen(queue.keys.wake("email")) == 1


def test_the_limit_caps_one_call(queue):
    for _ in range(5):
        queue.create("email", delay=10).save()
    now = clock.now_ms() + 1000
    assert promote(queue, now, limit=3)[0] == 3
    assert promote(queue, now, limit=3) == (2, -1)
    assert queue.counts()["inactive"] == 5


def test_queue_promote_is_the_public_door(queue):
    job = queue.create("email", delay=1).save()
    assert queue.promote() in (0, 1)
    if job.refresh().state == "delayed":  # saved in the same millisecond: wait one
        from tests.helpers import wait_until

        wait_until(lambda: queue.promote() == 1, 2)
    assert job.refresh().state == "inactive"
