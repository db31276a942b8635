"""Redis restarts lose nothing acknowledged. A Redis of the test's own (AOF on, ``appendfsync
everysec``) is restarted while two workers (with the job mirror syncer) and a producer run:
the producer gets a clear exception during the outage, never a hang; the web API answers 503
with a JSON error; workers and the mirror reconnect with back-off and carry on; afterwards
every job the producer saw acknowledged completes, and the mirror holds them all.

Redis is stopped with SIGTERM, so it fsyncs its AOF first. A Redis *crash* (SIGKILL, power
loss) with ``everysec`` can lose up to the last second of acknowledged writes: that is
Redis's promise, not ours (use ``appendfsync always`` to close it; see the README).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time

import pytest
import redis

from django_kue.core import KueConfig, Queue
from django_kue.mirror import Mirror
from testproject.faultjobs.tasks import runs_key
from tests.conftest import ROOT
from tests.helpers import wait_until

from .harness import RedisServer, WorkerPool, report, run_counts, states

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db]

LEASE = 3000
RESTARTS = 2
OUTAGE = 3.0  # s Redis stays down, at least: longer than the lease


class Producer(threading.Thread):
    """Saves a job every few ms until stopped; records what was acknowledged, every exception
    and the longest call (a hang would show here)."""

    def __init__(self, queue: Queue) -> None:
        super().__init__(daemon=True, name="producer")
        self.queue = queue
        self.acked: list[int] = []
        self.errors: list[BaseException] = []
        self.longest = 0.0
        self.halt = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.halt.is_set():
            n += 1
            began = time.monotonic()
            try:
                job = self.queue.create("f.work", {"n": n, "seconds": 0.01}, attempts=10).save()
                self.acked.append(job.id)
            except Exception as exc:  # every kind is recorded; the test says which are clear
                self.errors.append(exc)
            self.longest = max(self.longest, time.monotonic() - began)
            self.halt.wait(0.004)


def migrate(db: str, server: RedisServer) -> None:
    subprocess.run([sys.executable, str(ROOT / "testproject" / "manage.py"), "migrate", "-v", "0"],
                   env={**_env(db, server)}, check=True, timeout=120)


def _env(db: str, server: RedisServer) -> dict[str, str]:
    import os

    return {**os.environ, "KUE_SQLITE": db, "KUE_REDIS_URL": server.url}


def mirrored(db: str) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("select state, count(*) from django_kue_jobrecord group by state"))


def restart(server, producer, pool, admin_client, answers) -> float:
    """Stop Redis, see the producer fail fast and the API answer 503, keep Redis down past
    the workers' leases, start it again; returns the outage's length (s)."""
    server.stop()
    down_at = time.monotonic()
    errors_before = len(producer.errors)
    wait_until(lambda: len(producer.errors) > errors_before + 3, 10, 0.01, "producer errors")
    answers.append(admin_client.get("/kue/stats"))
    wait_until(lambda: "Redis unreachable" in pool.output(), 10, 0.05, "workers to say so")
    time.sleep(max(0.0, OUTAGE - (time.monotonic() - down_at)))  # a real outage, not a blip
    server.start()  # back, from its AOF
    return time.monotonic() - down_at


def test_redis_restarted_under_load(tmp_path, admin_client, settings, capsys, prefix):
    server = RedisServer(tmp_path)
    server.start()
    db = str(tmp_path / "mirror.sqlite3")
    queue = Queue(config=KueConfig(url=server.url, prefix=prefix))
    settings.KUE = {**settings.KUE, "REDIS_URL": server.url, "PREFIX": prefix}
    pool = WorkerPool(tmp_path, server.url, prefix, LEASE, env={"KUE_SQLITE": db}, mirror=True)
    producer = Producer(queue)
    try:
        migrate(db, server)
        started = time.monotonic()
        pool.start(2)
        producer.start()
        wait_until(lambda: queue.counts()["complete"] >= 300, 60, 0.05, "work before the restart")

        outages, during = [], []
        for _ in range(RESTARTS):
            outages.append(restart(server, producer, pool, admin_client, during))
            target = len(producer.acked) + 300
            wait_until(lambda: len(producer.acked) >= target, 60, 0.05,  # noqa: B023
                       "the producer to carry on")
        producer.halt.set()
        producer.join(10)
        acked = list(producer.acked)
        wait_until(lambda: states(queue, acked).get("complete", 0) == len(acked), 90, 0.1,
                   "every acknowledged job to complete")
        wait_until(lambda: Mirror(queue).lag() == 0 and mirrored(db).get("complete", 0) >= len(acked),
                   60, 0.2, "the mirror to catch up")
        wall = time.monotonic() - started
        after = admin_client.get("/kue/stats")
        final = states(queue, acked)
        runs = run_counts(queue.client, runs_key(prefix))
        survivors = not pool.dead() and pool.started == 2  # the same two workers throughout
    finally:
        producer.halt.set()
        pool.stop()
        server.stop()
    report("redis-restart", {
        "acknowledged": len(acked), "restarts": RESTARTS, "outage_s": [round(o, 2) for o in outages],
        "producer_errors": len(producer.errors), "longest_save_s": round(producer.longest, 2),
        "lost": len(acked) - final.get("complete", 0),
        "stuck": sum(final.get(s, 0) for s in ("active", "inactive", "delayed")),
        "duplicates": sum(1 for n in runs.values() if n > 1),
        "reruns": sum(n - 1 for n in runs.values()),
        "mirror_rows_complete": mirrored(db).get("complete", 0),
        "api_during_outage": [r.status_code for r in during], "wall_s": round(wall, 1)}, capsys)
    assert final == {"complete": len(acked)}
    assert survivors, "a worker died instead of reconnecting"
    for answer in during:
        assert answer.status_code == 503
        assert answer.json() == {"error": "Redis is unreachable; try again later"}
    assert after.status_code == 200
    assert producer.errors and all(isinstance(e, redis.ConnectionError) for e in producer.errors), (
        {type(e).__name__ for e in producer.errors})
    assert producer.longest < 5, "a save hung during the outage"
    log = pool.output()
    assert "retrying in" in log and "job mirror:" in log, log[-3000:]
