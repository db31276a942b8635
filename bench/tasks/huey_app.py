import os

from huey import RedisHuey

from tasks.probe import record

huey = RedisHuey("bench", url=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))


@huey.task()
def noop():
    return None


@huey.task()
def probe(ref):
    record(ref)
