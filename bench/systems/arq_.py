"""arq: asyncio; max_jobs 10 (its default) or 100; its default poll_delay of 0.5 s."""

from __future__ import annotations

import asyncio

from arq import create_pool
from arq.connections import RedisSettings

from .base import BIN, System


class Arq(System):
    name = "arq"
    settings = ("max_jobs=10", "max_jobs=100")
    bulk_note = "no bulk API: enqueue_job gathered 50 at a time"

    def setup(self, url: str) -> None:
        super().setup(url)
        self.loop = asyncio.new_event_loop()
        self.pool = self.loop.run_until_complete(create_pool(RedisSettings.from_dsn(url)))
        self.setting = self.settings[0]

    def enqueue_one(self, n: int) -> None:
        async def run():
            for _ in range(n):
                await self.pool.enqueue_job("noop")
        self.loop.run_until_complete(run())

    def enqueue_bulk(self, n: int) -> None:
        async def run():
            for start in range(0, n, 50):
                await asyncio.gather(*[self.pool.enqueue_job("noop")
                                       for _ in range(min(50, n - start))])
        self.loop.run_until_complete(run())

    def enqueue_probe(self, ref: float, delay_ms: int = 0) -> None:
        async def run():
            if delay_ms:
                await self.pool.enqueue_job("probe", ref, _defer_by=delay_ms / 1000)
            else:
                await self.pool.enqueue_job("probe", ref)
        self.loop.run_until_complete(run())

    def done(self) -> int:
        return self.total - self.r.zcard("arq:queue")

    def env(self) -> dict[str, str]:
        env = super().env()
        env["BENCH_ARQ_MAX_JOBS"] = self.setting.split("=")[1]
        return env

    def start_worker(self, processes=1, setting="default", probe=False):
        self.setting = setting if setting in self.settings else self.settings[0]
        return super().start_worker(processes, setting, probe)

    def worker_command(self, setting: str, probe: bool) -> list[str]:
        return [str(BIN / "arq"), "tasks.arq_worker.WorkerSettings"]
