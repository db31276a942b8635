"""Events across processes: a runkueworker subprocess does the work, this process listens
(signals with remote=True, job.on, job.wait); a listener that loses Redis reconnects."""

from __future__ import annotations

import logging
import socket
import subprocess

import pytest
import redis

from django_kue import listener
from django_kue.core import JobFailed, KueConfig, Queue
from django_kue.core.follow import Follower, job_listeners
from tests.helpers import wait_until
from tests.integration.test_signals import Recorder

pytestmark = [pytest.mark.django_db, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def recorder():
    rec = Recorder()
    yield rec
    rec.close()


@pytest.fixture
def listening(redis_queue):
    follower = listener.start(redis_queue)
    yield follower
    listener.stop(follower)
    job_listeners.clear()


def test_other_processes_events_arrive_as_remote_signals(redis_queue, listening, recorder,
                                                         worker_process):
    job = redis_queue.create("email", {"to": "a@b.c", "seconds": 0}).save()
    worker_process("--types=email", "--burst", "--no-mirror")
    wait_until(lambda: recorder.of("job_complete", job.id), timeout=30)
    by_name = {name: kw for name, _s, kw in recorder.seen if kw.get("job_id") == job.id}
    assert by_name["job_enqueue"]["remote"] is False  # caused here: sent once, not echoed
    assert [n for n, _s, kw in recorder.seen if kw.get("job_id") == job.id].count("job_enqueue") == 1
    assert by_name["job_start"] == {"job_id": job.id, "type": "email", "remote": True}
    assert by_name["job_complete"] == {"job_id": job.id, "type": "email", "remote": True,
                                       "result": {"sent": True, "to": "a@b.c"}}
    progress = recorder.of("job_progress", job.id)
    assert [p["progress"] for p in progress][-1] == 100
    assert all(p["remote"] for p in progress)


def test_without_the_listener_no_remote_signals(redis_queue, recorder, worker_process):
    job = redis_queue.create("email", {"to": "a@b.c", "seconds": 0}).save()
    proc = worker_process("--types=email", "--burst", "--no-mirror")
    assert proc.wait(30) == 0
    assert redis_queue.get_job(job.id).state == "complete"
    assert recorder.names(job.id) == ["job_enqueue"]


def test_job_on_and_wait_across_processes(redis_queue, worker_process):
    heard = []
    job = (redis_queue.create("email", {"to": "x@y.z", "seconds": 0})
           .on("start", lambda type_: heard.append("start"))
           .on("complete", lambda result: heard.append(result))
           .save())
    worker_process("--types=email", "--no-mirror")
    assert job.wait(timeout=30) == {"sent": True, "to": "x@y.z"}
    wait_until(lambda: len(heard) == 2)
    assert heard == ["start", {"sent": True, "to": "x@y.z"}]
    job_listeners.clear()


def test_wait_raises_the_failure(redis_queue, worker_process):
    job = redis_queue.create("flaky", {"fail_times": 5}, attempts=2, delay=0, backoff=None).save()
    worker_process("--types=flaky", "--no-mirror")
    with pytest.raises(JobFailed, match="transient failure on attempt 2"):
        job.wait(timeout=30)


def test_wait_times_out(redis_queue):
    job = redis_queue.create("email", {}).save()
    with pytest.raises(TimeoutError):
        job.wait(timeout=0.3)


# -- reconnecting --------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SpareRedis:
    """A redis-server of our own, to stop and start under a listener."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        wait_until(lambda: _pings(client), timeout=10)
        client.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def _pings(client: redis.Redis) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


@pytest.fixture
def spare_redis():
    server = SpareRedis()
    server.start()
    yield server
    server.stop()


def test_listener_reconnects_and_says_so(spare_redis, recorder, prefix, caplog):
    producer = Queue(config=KueConfig(url=f"redis://127.0.0.1:{spare_redis.port}/0", prefix=prefix))
    listening = Queue(config=KueConfig(url=f"redis://127.0.0.1:{spare_redis.port}/0", prefix=prefix))
    follower = listener.start(listening)
    try:
        caplog.set_level(logging.WARNING, logger="django_kue.events")
        spare_redis.stop()
        wait_until(lambda: recorder.of("queue_error"), timeout=10)
        assert "lost its Redis connection" in caplog.text
        name, sender, kwargs = next(s for s in recorder.seen if s[0] == "queue_error")
        assert sender == prefix and isinstance(kwargs["error"], redis.ConnectionError)

        spare_redis.start()
        wait_until(lambda: follower.reconnects == 1, timeout=15)
        assert "reconnected to Redis" in caplog.text
        # another process's event after the restart still arrives (different origin)
        producer.client.xadd(producer.keys.events, {"event": "complete", "id": "5", "type": "email",
                                                    "args": "[42]", "origin": "elsewhere"})
        wait_until(lambda: recorder.of("job_complete", 5), timeout=10)
        assert recorder.of("job_complete", 5)[0] == {"job_id": 5, "type": "email", "remote": True,
                                                      "result": 42}
    finally:
        listener.stop(follower)


def test_follower_resumes_after_the_last_entry_it_read(redis_queue):
    """Entries written while the follower is away are delivered when it is back."""
    follower = Follower(redis_queue)
    follower.after = "0-0"
    redis_queue.create("email", {}).save()
    redis_queue.create("email", {}).save()
    delivered = []
    from django_kue.core import events

    class Catch:
        def wants(self):
            return False

        def events(self, prefix, batch, remote):
            delivered.extend(e.event for e in batch if prefix == redis_queue.config.prefix)

        def error(self, prefix, error):
            pass

    catch = Catch()
    events.subscribe(catch)
    try:
        # our own entries are not "remote": rewrite the origin as another process would
        reply = redis_queue.client.xread({redis_queue.keys.events: "0-0"})
        for _stream, entries in reply:
            for _id, fields in entries:
                fields[b"origin"] = b"other"
        follower._deliver(reply)
    finally:
        events.unsubscribe(catch)
    assert delivered == ["enqueue", "enqueue"]
    assert follower.after != "0-0"
