"""The one latency recorder every system's probe calls: now - ref, pushed to ``bench:lat``."""

import os
import time

import redis

_client = None


def client():
    global _client
    if _client is None:
        _client = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])
    return _client


def record(ref: float) -> None:
    late = time.time() - ref
    client().rpush("bench:lat", late)
