"""Fault-test fixtures: a pool of worker processes, killed at the end whatever happens."""

from __future__ import annotations

import pytest

from tests.conftest import REDIS_URL

from .harness import WorkerPool


@pytest.fixture
def worker_pool(redis_queue, tmp_path):
    """``worker_pool(lease, *runkueworker args, url=..., env=...)`` -> a WorkerPool (none started)."""
    pools = []

    def make(lease: int, *args: str, url: str = REDIS_URL, env: dict | None = None) -> WorkerPool:
        pool = WorkerPool(tmp_path, url, redis_queue.config.prefix, lease, *args, env=env)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.stop(timeout=10)
