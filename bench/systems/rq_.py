"""RQ: the forking Worker (its default) and SimpleWorker (no fork per job)."""

from __future__ import annotations

from datetime import timedelta

from rq import Queue
from rq.registry import FinishedJobRegistry
from tasks import rq_tasks

from .base import BIN, System


class RQ(System):
    name = "RQ"
    settings = ("SimpleWorker", "Worker (fork)")
    bulk_note = "Queue.enqueue_many (pipelined)"

    def setup(self, url: str) -> None:
        super().setup(url)
        self.q = Queue("default", connection=self.r)
        self.finished_key = FinishedJobRegistry(queue=self.q).key

    def enqueue_one(self, n: int) -> None:
        for _ in range(n):
            self.q.enqueue(rq_tasks.noop)

    def enqueue_bulk(self, n: int) -> None:
        for start in range(0, n, 1000):
            with self.r.pipeline() as pipe:
                self.q.enqueue_many([Queue.prepare_data(rq_tasks.noop)
                                     for _ in range(min(1000, n - start))], pipeline=pipe)
                pipe.execute()

    def enqueue_probe(self, ref: float, delay_ms: int = 0) -> None:
        if delay_ms:
            self.q.enqueue_in(timedelta(milliseconds=delay_ms), rq_tasks.probe, ref)
        else:
            self.q.enqueue(rq_tasks.probe, ref)

    def done(self) -> int:
        return self.r.zcard(self.finished_key)

    def worker_command(self, setting: str, probe: bool) -> list[str]:
        cls = "rq.worker.SimpleWorker" if setting == "SimpleWorker" else "rq.worker.Worker"
        cmd = [str(BIN / "rq"), "worker", "-u", self.url, "-w", cls, "--logging_level", "WARNING",
               "--disable-job-desc-logging", "default"]
        if probe:
            cmd.insert(2, "--with-scheduler")
        return cmd
