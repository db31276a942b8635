"""Redis Sentinel: a loopback master, its replica and a sentinel. The queue is reached through
the sentinel (``KUE["SENTINEL"]``); the master is failed over mid-run, by a crash (SIGKILL)
and by a switchover (``SENTINEL FAILOVER``), and the worker and the producer carry on."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from redis.sentinel import SentinelConnectionPool

from tests.helpers import wait_until

pytestmark = pytest.mark.redis


def _save(queue, *args, **options):
    """Save, retrying while the service has no master (a failover in progress): what a
    producer must do, since a call made then raises redis.ConnectionError."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return queue.create(*args, **options).save()
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _count(queue, state: str) -> int | None:
    try:
        return queue.card(state)
    except redis.ConnectionError:
        return None


def test_jobs_run_through_the_sentinel(sentinel_queue, sentinel_setup, worker_on):
    q = sentinel_queue
    assert isinstance(q.client.connection_pool, SentinelConnectionPool)
    assert repr(q) == (f"<Queue {q.config.prefix!r} on sentinel 'kuemaster' via "
                       f"127.0.0.1:{sentinel_setup.sentinel.port} db 0>")
    ran = []
    worker_on(q, {"email": lambda job: ran.append(job.id) or {"ok": True}})
    job = q.create("email", {"to": "a@b.c"}).save()
    wait_until(lambda: q.complete_count() == 1)
    assert ran == [job.id] and q.get_job(job.id).result == {"ok": True}
    # written on the master, copied to the replica
    assert sentinel_setup.master.client.hget(q.keys.job(job.id), "state") == "complete"
    wait_until(lambda: sentinel_setup.replica.client.hget(q.keys.job(job.id), "state") == "complete")


# The master refuses writes once it has no replica: after a switchover the old master stays a
# master for a few seconds (until the sentinel turns it into a replica), and writes it took then
# would be lost. With this setting they are refused (NOREPLICAS) and retried on the new master.
GUARDED = "min-replicas-to-write 1\nmin-replicas-max-lag 10\n"


@pytest.mark.slow
@pytest.mark.parametrize("how, sentinel_setup", [("crash", ""), ("switchover", GUARDED)],
                         indirect=["sentinel_setup"], ids=["crash", "switchover"])
def test_a_failover_mid_run_is_carried_on(sentinel_queue, sentinel_setup, worker_on, how):
    q, setup = sentinel_queue, sentinel_setup
    gate, ran = threading.Event(), []

    def handler(job):
        if job.data.get("slow"):
            gate.wait(30)  # running while the master goes away
        ran.append(job.data["n"])

    # a long idle wait: after the failover, jobs start at once only if the worker's BLPOP
    # (the doorbell) moved to the new master
    worker = worker_on(q, {"email": handler}, concurrency=2, idle_wait=10_000)
    before = [q.create("email", {"n": n}).save() for n in range(10)]
    slow = q.create("email", {"n": 100, "slow": True}).save()
    wait_until(lambda: q.complete_count() == 10 and q.active_count() == 1)
    # what the replica acknowledged survives. WAIT counts the writes of its own connection, and
    # replication is one ordered stream: a write of ours acknowledged = every earlier one too.
    setup.master.client.incr("t-replication-barrier")
    assert setup.master.client.wait(1, 5000) == 1
    old_port = setup.master.port

    if how == "crash":
        setup.master.kill()
    else:
        assert setup.sentinel.client.sentinel_failover(setup.service)
    wait_until(lambda: setup.master_port() == setup.replica.port, timeout=30, interval=0.05,
               message="the sentinel to promote the replica")
    assert setup.master_port() != old_port

    after = [_save(q, "email", {"n": n}) for n in range(10, 20)]  # retried until there is a master
    gate.set()  # the job that ran through the failover finishes now, on the new master
    try:
        wait_until(lambda: _count(q, "complete") == 21, timeout=30)
    except AssertionError:
        raise AssertionError(f"not every job complete after the failover: {q.counts()}, "
                             f"ran {sorted(ran)}") from None
    assert sorted(ran) == [*range(20), 100]
    new_master = setup.replica.client
    for job in [*before, slow, *after]:
        assert new_master.hget(q.keys.job(job.id), "state") == "complete"
    assert len({job.id for job in [*before, slow, *after]}) == 21  # the id counter carried on
    assert q.client.connection_pool.get_master_address() == ("127.0.0.1", setup.replica.port)

    if how == "switchover":
        # a worker asleep on the old master wakes when the sentinel makes it a replica (its next
        # INFO round, up to ~10 s): Redis then drops blocked clients and the doorbell follows
        wait_until(lambda: setup.master.client.info("replication")["role"] == "slave",
                   timeout=30, interval=0.1, message="the old master to become a replica")
    # the doorbell followed: an idle worker starts a new job at once, not at its 10 s timeout
    wait_until(lambda: worker._doorbell._blocked, timeout=15, message="the worker to sleep")
    saved = time.monotonic()
    q.create("email", {"n": 21}).save()
    wait_until(lambda: 21 in ran, timeout=10)
    assert time.monotonic() - saved < 5.0
    # and stop() reaches it: CLIENT UNBLOCK goes to the server its connection is on
    wait_until(lambda: worker._doorbell._blocked, timeout=15, message="the worker to sleep")
    asked = time.monotonic()
    worker.stop()
    worker.thread.join(5)
    assert not worker.thread.is_alive() and time.monotonic() - asked < 2.0
