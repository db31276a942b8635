import os
import time

from arq.connections import RedisSettings


async def noop(ctx):
    return None


async def probe(ctx, ref):
    late = time.time() - ref
    await ctx["redis"].rpush("bench:lat", late)


class WorkerSettings:
    functions = [noop, probe]
    redis_settings = RedisSettings.from_dsn(os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    max_jobs = int(os.environ.get("BENCH_ARQ_MAX_JOBS", "10"))
