"""Fixtures: a clean, uniquely-prefixed queue on real Redis and on fakeredis, workers in
threads or subprocesses, and wait_until. With CI set, a missing Redis fails instead of skipping."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import fakeredis
import pytest
import redis

from django_kue.connection import get_queue
from django_kue.core import HandlerSpec, Worker
from django_kue.core.keys import Keys
from django_kue.registry import kue_job, unregister

REDIS_URL = os.environ.get("KUE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = bool(os.environ.get("CI"))
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        message = f"no Redis at {REDIS_URL} ({exc}); start redis-server or set KUE_TEST_REDIS_URL"
        if IN_CI:
            pytest.fail(message)  # CI must never pass without the real-Redis tests
        pytest.skip(message)
    yield client
    client.close()


@pytest.fixture(scope="session")
def fake_server():
    return fakeredis.FakeServer()


@pytest.fixture
def prefix():
    return f"t-{uuid.uuid4().hex[:8]}"


def _clean(client, prefix):
    keys = list(client.scan_iter(match=Keys(prefix).pattern(), count=20_000))
    for start in range(0, len(keys), 500):
        client.unlink(*keys[start:start + 500])


def _use_queue(request, settings, backend, prefix, **extra):
    kue = {**settings.KUE, "PREFIX": prefix, "IDLE_WAIT": 200, **extra}
    if backend == "redis":
        client = request.getfixturevalue("redis_client")
        kue["REDIS_URL"] = REDIS_URL
    else:
        server = request.getfixturevalue("fake_server")
        client = fakeredis.FakeRedis(server=server)
        kue["CLIENT_FACTORY"] = lambda: fakeredis.FakeRedis(server=server)
    settings.KUE = kue
    request.addfinalizer(lambda: _clean(client, prefix))
    return get_queue()


@pytest.fixture(params=[pytest.param("redis", marks=pytest.mark.redis),
                        pytest.param("fake", marks=pytest.mark.fake)])
def queue(request, settings, prefix):
    """The default queue (what get_queue() returns), clean, on real Redis and on fakeredis."""
    return _use_queue(request, settings, request.param, prefix)


@pytest.fixture
def redis_queue(request, settings, prefix):
    """As ``queue``, on real Redis only (subprocess workers, timing, CLIENT UNBLOCK)."""
    request.applymarker(pytest.mark.redis)
    return _use_queue(request, settings, "redis", prefix)


@pytest.fixture
def worker_on():
    """``worker_on(queue, {"type": fn}, concurrency=2, **Worker options)`` -> a running Worker
    (in a thread; stopped at teardown). Pass HandlerSpec objects for custom backoffs."""
    started = []

    def start(queue, handlers, concurrency=1, **options):
        if isinstance(handlers, dict):
            handlers = [HandlerSpec(t, fn, concurrency) for t, fn in handlers.items()]
        options.setdefault("idle_wait", 200)
        worker = Worker(queue, handlers, **options)
        worker.thread = threading.Thread(target=worker.run, daemon=True, name="test-worker")
        worker.thread.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.shutdown_timeout = 0
        worker.stop()
    for worker in started:
        worker.thread.join(10)
        assert not worker.thread.is_alive(), "a test worker did not stop"


@pytest.fixture
def start_worker(queue, worker_on):
    """``worker_on`` on the parametrized ``queue``: ``start_worker({"type": fn}, concurrency=2)``."""

    def start(handlers, concurrency=1, target=None, **options):
        return worker_on(target or queue, handlers, concurrency, **options)

    return start


@pytest.fixture
def worker_process(redis_queue):
    """Start ``manage.py runkueworker`` subprocesses on the test queue; killed afterwards."""
    procs = []

    def start(*args, lease=None, env=None):
        environ = {**os.environ, "KUE_REDIS_URL": REDIS_URL, "KUE_PREFIX": redis_queue.config.prefix,
                   "PYTHONUNBUFFERED": "1", **(env or {})}
        if lease is not None:
            environ["KUE_LEASE"] = str(lease)
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "testproject" / "manage.py"), "runkueworker", *args],
            env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        if proc.stdout:
            proc.stdout.close()


@pytest.fixture
def kue_types():
    """``kue_types(name, **options)`` is ``@kue_job(name, **options)``, and the types a test
    registers are unregistered afterwards, so tests stay independent."""
    made = []

    def register(name, *args, **kwargs):
        made.append(name)
        return kue_job(name, *args, **kwargs)

    yield register
    for name in made:
        unregister(name)
