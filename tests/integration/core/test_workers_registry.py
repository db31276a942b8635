"""The live-workers registry: each worker's heartbeat keeps its record in the queue's
``workers`` hash; stopped workers remove theirs, dead ones go stale and are dropped."""

from __future__ import annotations

import json
import os
import socket
import threading

import pytest

from django_kue.connection import get_queue
from django_kue.core import clock, workers
from tests.helpers import wait_until


@pytest.fixture
def fast_queue(redis_queue, settings):
    """The test queue with a 600 ms lease: heartbeats every 200 ms."""
    settings.KUE = {**settings.KUE, "LEASE": 600}
    return get_queue()


def test_a_running_worker_is_listed_with_its_host_pid_types_and_active_jobs(fast_queue, worker_on):
    redis_queue = fast_queue
    release = threading.Event()
    job = redis_queue.create("email").save()
    worker = worker_on(redis_queue, {"email": lambda job: release.wait(10), "sms": lambda job: None},
                       concurrency=3)
    [record] = wait_until(lambda: [w for w in workers.live(redis_queue) if w["active"] == 1])
    assert record["id"] == worker.id
    assert (record["host"], record["pid"]) == (socket.gethostname(), os.getpid())
    assert record["types"] == {"email": 3, "sms": 3}
    assert record["jobs"] == [job.id]
    assert clock.now_ms() - record["heartbeat_at"] < 5000
    release.set()
    wait_until(lambda: [w["active"] for w in workers.live(redis_queue)] == [0])
    assert workers.live(redis_queue)[0]["processed"] == 1


def test_a_stopped_worker_removes_its_record(redis_queue, worker_on):
    worker = worker_on(redis_queue, {"email": lambda job: None})
    wait_until(lambda: workers.live(redis_queue))
    worker.stop()
    worker.thread.join(10)
    assert workers.live(redis_queue) == []
    assert redis_queue.client.hlen(redis_queue.keys.workers) == 0


def _plant(queue, worker_id, age_ms):
    record = {"id": worker_id, "host": "gone", "pid": 1, "types": {}, "active": 2, "jobs": [],
              "processed": 0, "heartbeat_at": clock.now_ms() - age_ms, "started_at": 0}
    queue.client.hset(queue.keys.workers, worker_id, json.dumps(record))


def test_a_worker_silent_for_a_lease_is_not_alive_and_after_three_it_is_dropped(redis_queue, worker_on):
    lease = redis_queue.config.lease
    _plant(redis_queue, "kue:late:1", lease // 2)
    _plant(redis_queue, "kue:silent:2", lease + 1000)
    _plant(redis_queue, "kue:dead:3", 3 * lease + 1000)
    redis_queue.client.hset(redis_queue.keys.workers, "kue:garbage:4", "not json")
    assert [w["id"] for w in workers.live(redis_queue)] == ["kue:late:1"]
    worker = worker_on(redis_queue, {"email": lambda job: None})  # its first beat sweeps
    wait_until(lambda: not redis_queue.client.hexists(redis_queue.keys.workers, "kue:dead:3"))
    left = {k.decode() for k in redis_queue.client.hkeys(redis_queue.keys.workers)}
    assert left == {"kue:late:1", "kue:silent:2", worker.id}
