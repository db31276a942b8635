"""Celery with the Redis broker: prefork (-c 1: one child), solo, and threads (-c 50)."""

from __future__ import annotations

from tasks import celery_app

from .base import BIN, System

FLAGS = ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]


class CeleryBench(System):
    name = "Celery"
    settings = ("prefork -c1", "solo", "threads -c50")
    bulk_note = "no bulk API: apply_async on one shared producer"

    def setup(self, url: str) -> None:
        super().setup(url)
        celery_app.app.conf.broker_url = url
        celery_app.app.pool.force_close_all() if celery_app.app._pool else None

    def enqueue_one(self, n: int) -> None:
        for _ in range(n):
            celery_app.noop.delay()

    def enqueue_bulk(self, n: int) -> None:
        with celery_app.app.producer_or_acquire() as producer:
            for _ in range(n):
                celery_app.noop.apply_async(producer=producer)

    def enqueue_probe(self, ref: float, delay_ms: int = 0) -> None:
        if delay_ms:
            celery_app.probe.apply_async((ref,), countdown=delay_ms / 1000)
        else:
            celery_app.probe.delay(ref)

    def done(self) -> int:
        # no result backend: a job is done once the broker holds it neither queued nor unacked
        # (acks are early by default, so this runs ahead by at most the no-ops in flight)
        return self.total - self.r.llen("celery") - self.r.hlen("unacked")

    def worker_command(self, setting: str, probe: bool) -> list[str]:
        pool = {"prefork -c1": ["-P", "prefork", "-c", "1"], "solo": ["-P", "solo"],
                "threads -c50": ["-P", "threads", "-c", "50"]}[setting]
        return [str(BIN / "celery"), "-A", "tasks.celery_app", "worker", *pool, *FLAGS]
