"""Dramatiq with its Redis broker: one process, 8 threads (its default) or 50."""

from __future__ import annotations

from tasks import dramatiq_tasks

from .base import BIN, System


class Dramatiq(System):
    name = "Dramatiq"
    settings = ("threads -t8", "threads -t50")
    bulk_note = "no bulk API: send() in a loop"

    def setup(self, url: str) -> None:
        super().setup(url)
        import dramatiq
        from dramatiq.brokers.redis import RedisBroker

        dramatiq_tasks.broker = RedisBroker(url=url)
        dramatiq.set_broker(dramatiq_tasks.broker)
        for actor in (dramatiq_tasks.noop, dramatiq_tasks.probe):
            actor.broker = dramatiq_tasks.broker
            dramatiq_tasks.broker.declare_actor(actor)

    def enqueue_one(self, n: int) -> None:
        for _ in range(n):
            dramatiq_tasks.noop.send()

    def enqueue_bulk(self, n: int) -> None:
        self.enqueue_one(n)

    def enqueue_probe(self, ref: float, delay_ms: int = 0) -> None:
        dramatiq_tasks.probe.send_with_options(args=(ref,), delay=delay_ms or None)

    def done(self) -> int:
        # acked messages leave the queue's message hash
        return self.total - self.r.hlen("dramatiq:default.msgs")

    def worker_command(self, setting: str, probe: bool) -> list[str]:
        threads = setting.rsplit("t", 1)[1]
        return [str(BIN / "dramatiq"), "tasks.dramatiq_tasks", "-p", "1", "-t", threads]
