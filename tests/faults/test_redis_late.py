"""Redis not there at start: ``runkueworker`` waits and retries with a clear log line, with
back-off, and starts working when Redis appears."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from django_kue.core import KueConfig, Queue
from tests.conftest import ROOT
from tests.helpers import wait_until

from .harness import RedisServer, report

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def test_runkueworker_waits_for_redis_then_works(tmp_path, capsys):
    server = RedisServer(tmp_path)  # not started yet: nothing listens on its port
    log = tmp_path / "worker.log"
    env = {**os.environ, "KUE_REDIS_URL": server.url, "KUE_PREFIX": "late", "PYTHONUNBUFFERED": "1"}
    with open(log, "w") as out:
        worker = subprocess.Popen(
            [sys.executable, str(ROOT / "testproject" / "manage.py"), "runkueworker",
             "--types", "t.echo", "--no-mirror"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        began = time.monotonic()
        wait_until(lambda: log.read_text().count("Redis unreachable") >= 2, 20, 0.05,
                   "the worker to say so, and to retry")
        assert "retrying in" in log.read_text() and f"127.0.0.1:{server.port}" in log.read_text()
        assert worker.poll() is None, "the worker died instead of waiting:\n" + log.read_text()
        waited = time.monotonic() - began
        server.start()
        queue = Queue(config=KueConfig(url=server.url, prefix="late"))
        job = queue.create("t.echo", {"hello": "late"}).save()
        wait_until(lambda: job.refresh().state == "complete", 20, 0.05, "the job to run")
        assert job.result == {"hello": "late"}
        report("redis-late", {"jobs": 1, "lost": 0, "stuck": 0, "waited_s": round(waited, 1),
                              "unreachable_lines": log.read_text().count("Redis unreachable"),
                              "wall_s": round(time.monotonic() - began, 1)}, capsys)
        queue.client.close()
    finally:
        worker.kill()
        worker.wait(10)
        server.stop()
