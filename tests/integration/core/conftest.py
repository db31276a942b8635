"""A worker factory that takes the queue to run on, so real-Redis-only tests (timing) do not
pull in the parametrized ``queue`` fixture."""

from __future__ import annotations

import threading

import pytest

from django_kue.core import HandlerSpec, Worker


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
