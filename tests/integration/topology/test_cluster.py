"""Redis Cluster: three loopback masters, three queues whose prefixes hash to three different
masters, each queue's whole life run there (save, claim, complete, fail and retry with backoff,
delay and promotion, progress, log, remove, counts, events, the worker's doorbell)."""

from __future__ import annotations

import time
import uuid

import pytest
import redis
from redis.cluster import RedisCluster

from django_kue.core import Queue, follow
from django_kue.core.config import KueConfig
from django_kue.core.keys import Keys
from tests.helpers import wait_until

from .servers import ClusterSetup, prefixes_on_every_node

pytestmark = pytest.mark.redis


@pytest.fixture
def shard_queues(cluster_setup, cluster_client):
    """{node name: Queue}: one queue per master, on clients built from the config."""
    queues = {}
    for node, prefix in prefixes_on_every_node(cluster_client).items():
        queues[node] = Queue(config=KueConfig(url=cluster_setup.url, cluster=True, prefix=prefix))
    yield queues
    for q in queues.values():
        follower = follow._followers.pop(id(q), None)  # job.on() started one: stop it first
        if follower is not None:
            follower.stop()
        q.client.close()


def _nodes_holding(setup, prefix: str) -> set[int]:
    """Ports of the masters that hold any key of the prefix (asked node by node)."""
    pattern = Keys(prefix).pattern()
    return {n.port for n in setup.nodes if list(n.client.scan_iter(match=pattern, count=1000))}


def test_the_config_builds_a_cluster_client(cluster_setup):
    q = Queue(config=KueConfig(url=cluster_setup.url, cluster=True, prefix="t-cfg"))
    assert isinstance(q.client, RedisCluster)
    assert len(q.client.get_primaries()) == 3
    assert repr(q) == f"<Queue 't-cfg' on cluster via 127.0.0.1:{cluster_setup.nodes[0].port}>"
    q.client.close()


def _handler(ran: list[int]):
    def handler(job):
        job.log("working on %s", job.data["n"])
        job.progress(1, 2)
        if job.data.get("fail") and job.attempts_made < 1:
            raise RuntimeError("first try fails")
        ran.append(job.data["n"])
        return {"n": job.data["n"]}

    return handler


def test_every_script_runs_on_the_node_of_its_prefix(cluster_setup, shard_queues, worker_on):
    """The queue's whole life on each master; its keys never leave that master."""
    for node, q in shard_queues.items():
        _whole_life(q, worker_on)
        assert _nodes_holding(cluster_setup, q.config.prefix) == {int(node.rsplit(":", 1)[1])}
    assert len({q.client.keyslot(q.keys.base) for q in shard_queues.values()}) == 3


def _whole_life(q: Queue, worker_on) -> None:
    ran, seen, progress = [], [], []
    ok = q.create("email", {"n": 1, "title": "one"}, priority="high").save()
    retried = q.create("email", {"n": 2, "fail": True}, attempts=3,
                       backoff={"type": "fixed", "delay": 50}).save()
    delayed = q.create("email", {"n": 3}, delay=100).save()
    doomed = q.create("email", {"n": 4}, attempts=1).save()
    doomed.remove()
    listened = q.create("email", {"n": 5}).on("complete", seen.append).on(
        "progress", lambda percent, data: progress.append(percent)).save()
    assert q.delayed_count() == 1 and q.inactive_count() == 3

    worker_on(q, {"email": _handler(ran)}, concurrency=2)
    wait_until(lambda: q.complete_count() == 4, message=f"jobs complete on {q.config.prefix}")
    assert sorted(ran) == [1, 2, 3, 5]
    wait_until(lambda: seen == [{"n": 5}], message="the complete event")
    assert progress == [50]
    job = q.get_job(ok.id)
    assert job.state == "complete" and job.result == {"n": 1}
    assert q.log_lines(ok.id) == ["working on 1"]
    assert q.get_job(retried.id).attempts_made == 2
    assert q.get_job(delayed.id).state == "complete"
    assert q.counts("email") == {"inactive": 0, "delayed": 0, "active": 0, "complete": 4, "failed": 0}
    assert q.types() == ["email"]
    assert sorted(j.id for j in q.range_by_state("complete", 0, -1)) == [
        ok.id, retried.id, delayed.id, listened.id]


def test_failed_jobs_and_manual_changes(shard_queues):
    q = next(iter(shard_queues.values()))
    job = q.create("report", {"x": 1}).save()
    q.set_priority(job.id, "critical")
    assert q.get_job(job.id).priority == -15
    q.set_state(job.id, "failed")
    assert q.failed_count() == 1
    q.set_state(job.id, "inactive")
    assert q.inactive_count("report") == 1
    assert [j.id for j in q.range(0, -1)] == [job.id]
    q.remove(job.id)
    assert q.counts() == dict.fromkeys(["inactive", "delayed", "active", "complete", "failed"], 0)


def test_an_idle_worker_wakes_at_once_on_its_prefixs_node(shard_queues, worker_on):
    """The doorbell's BLPOP sits on the master that owns the prefix's slot: a save wakes it
    well before its idle timeout, and stop() unblocks it (CLIENT UNBLOCK on that master)."""
    for q in shard_queues.values():
        _wakes_at_once(q, worker_on)


def _wakes_at_once(q: Queue, worker_on) -> None:
    started = []
    worker = worker_on(q, {"ping": lambda job: started.append(time.monotonic())}, idle_wait=30_000)
    wait_until(lambda: worker._doorbell is not None and worker._doorbell._blocked)
    saved = time.monotonic()
    q.create("ping").save()
    wait_until(lambda: started, timeout=5)
    assert started[0] - saved < 2.0
    wait_until(lambda: worker._doorbell._blocked)
    asked = time.monotonic()
    worker.stop()
    worker.thread.join(5)
    assert not worker.thread.is_alive() and time.monotonic() - asked < 2.0


def test_search_and_mirror_on_a_cluster(settings, cluster_setup, cluster_client, db):
    """The Django layer through the cluster: KUE settings, search, the job mirror."""
    from django_kue.connection import get_queue
    from django_kue.mirror import Mirror
    from django_kue.models import JobRecord

    prefix = next(iter(prefixes_on_every_node(cluster_client).values()))
    settings.KUE = {**settings.KUE, "PREFIX": prefix, "CLUSTER": True, "REDIS_URL": cluster_setup.url,
                    "SEARCH": True}
    q = get_queue()
    assert isinstance(q.client, RedisCluster)
    mirror = Mirror(q)
    mirror.catch_up()
    job = q.create("email", {"title": "welcome aboard", "to": "a@b.c"}, search_keys=["title"]).save()
    assert q.search("welcome") == [job.id]
    mirror.catch_up()
    assert JobRecord.objects.get(id=job.id).state == "inactive"


@pytest.fixture
def cluster_with_replicas(tmp_path):
    """Three masters with a replica each, failing over fast (node timeout 1 s): per test."""
    setup = ClusterSetup(tmp_path, replicas=1, node_timeout=1000)
    yield setup
    setup.stop()


def _save(q: Queue, *args):
    deadline = time.monotonic() + 30
    while True:
        try:
            return q.create(*args).save()
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.mark.slow
def test_a_master_failing_over_to_its_replica_is_carried_on(cluster_with_replicas, worker_on):
    """Kill the master of the queue's slot: the cluster promotes its replica, and the worker
    (its scripts and its doorbell) and the producer carry on there."""
    setup = cluster_with_replicas
    first = setup.nodes[0].port
    prefix = next(p for p in iter(lambda: f"t-{uuid.uuid4().hex[:8]}", None)
                  if setup.owner("{%s}" % p) != first)  # keep the URL's node alive
    q = Queue(config=KueConfig(url=setup.url, cluster=True, prefix=prefix))
    ran = []
    worker = worker_on(q, {"email": lambda job: ran.append(job.data["n"])}, idle_wait=10_000)
    before = [q.create("email", {"n": n}).save() for n in range(5)]
    wait_until(lambda: q.complete_count() == 5)
    owner = setup.by_port(setup.owner(q.keys.base))
    owner.client.incr(q.keys.base + ":t-barrier")  # WAIT: every earlier write reached the replica
    assert owner.client.wait(1, 5000) == 1

    owner.kill()
    wait_until(lambda: setup.owner(q.keys.base) != owner.port, timeout=30, interval=0.1,
               message="the cluster to promote the replica")
    after = [_save(q, "email", {"n": n}) for n in range(5, 10)]
    wait_until(lambda: len(ran) >= 10, timeout=30, message="the jobs saved after the failover to run")
    assert sorted(ran) == list(range(10))
    new_owner = setup.by_port(setup.owner(q.keys.base))
    for job in [*before, *after]:
        assert new_owner.client.hget(q.keys.job(job.id), "state") == "complete"

    # the doorbell moved to the new master: an idle worker wakes at once, and stop() reaches it
    wait_until(lambda: worker._doorbell._blocked and worker._doorbell._client_id, timeout=15)
    saved = time.monotonic()
    q.create("email", {"n": 10}).save()
    wait_until(lambda: 10 in ran, timeout=10)
    assert time.monotonic() - saved < 5.0
    wait_until(lambda: worker._doorbell._blocked, timeout=15)
    asked = time.monotonic()
    worker.stop()
    worker.thread.join(5)
    assert not worker.thread.is_alive() and time.monotonic() - asked < 2.0
    q.client.close()
