"""Huey: the consumer with thread workers (blocking BRPOP storage, its default)."""

from __future__ import annotations

from tasks import huey_app

from .base import BIN, System


class Huey(System):
    name = "Huey"
    settings = ("threads -w8", "threads -w50")
    bulk_note = "no bulk API: enqueue in a loop"

    def setup(self, url: str) -> None:
        super().setup(url)
        from huey import RedisHuey

        fresh = RedisHuey("bench", url=url)
        huey_app.huey.storage = fresh.storage

    def enqueue_one(self, n: int) -> None:
        for _ in range(n):
            huey_app.noop()

    def enqueue_bulk(self, n: int) -> None:
        self.enqueue_one(n)

    def enqueue_probe(self, ref: float, delay_ms: int = 0) -> None:
        if delay_ms:
            huey_app.probe.schedule(args=(ref,), delay=delay_ms / 1000)
        else:
            huey_app.probe(ref)

    def done(self) -> int:
        # the consumer pops one job per free worker thread: queue empty ~ done
        return self.total - self.r.llen("huey.redis.bench")

    def worker_command(self, setting: str, probe: bool) -> list[str]:
        workers = setting.rsplit("w", 1)[1]
        return [str(BIN / "huey_consumer"), "tasks.huey_app.huey", "-k", "thread", "-w", workers,
                "-q", "-s", "1", "-n"]
