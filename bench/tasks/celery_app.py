"""Celery with the Redis broker, no result backend (a no-op returns nothing worth storing)."""

import os

from celery import Celery

from tasks.probe import record

app = Celery("bench", broker=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
app.conf.update(task_ignore_result=True, worker_hijack_root_logger=False,
                broker_connection_retry_on_startup=True, worker_send_task_events=False)


@app.task(name="noop")
def noop():
    return None


@app.task(name="probe")
def probe(ref):
    record(ref)
