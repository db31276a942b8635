"""A worker started before Redis waits, says so, and works once Redis appears."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys

import pytest
import redis

from django_kue.core import KueConfig, Queue
from tests.conftest import IN_CI, ROOT
from tests.helpers import wait_until

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_runkueworker_waits_for_redis_then_works(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        if IN_CI:
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed")
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    log = tmp_path / "worker.log"
    env = {**os.environ, "KUE_REDIS_URL": url, "KUE_PREFIX": "late", "PYTHONUNBUFFERED": "1"}
    with open(log, "w") as out:
        worker = subprocess.Popen(
            [sys.executable, str(ROOT / "testproject" / "manage.py"), "runkueworker",
             "--types", "t.echo", "--no-mirror"], env=env, stdout=out, stderr=subprocess.STDOUT)
    redis_proc = None
    try:
        wait_until(lambda: "Redis unreachable" in log.read_text(), 20, 0.05, "the worker to say so")
        assert worker.poll() is None, "the worker died instead of waiting:\n" + log.read_text()
        redis_proc = subprocess.Popen([server, "--port", str(port), "--save", "", "--appendonly", "no"],
                                      stdout=subprocess.DEVNULL)
        queue = Queue(config=KueConfig(url=url, prefix="late"))
        wait_until(lambda: _pings(queue.client), 10, 0.02, "redis-server to start")
        job = queue.create("t.echo", {"hello": "late"}).save()
        wait_until(lambda: job.refresh().state == "complete", 20, 0.05, "the job to run")
        assert job.result == {"hello": "late"}
    finally:
        worker.kill()
        worker.wait(10)
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(10)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
