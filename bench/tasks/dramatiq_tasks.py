import os

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from tasks.probe import record

broker = RedisBroker(url=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
dramatiq.set_broker(broker)


@dramatiq.actor(max_retries=0)
def noop():
    return None


@dramatiq.actor(max_retries=0)
def probe(ref):
    record(ref)
