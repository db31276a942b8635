"""The demo: its embedded Redis runs the real queue, and ``kuedemo`` works end to end.

The embedded server is forced (``--embedded``) even when a real Redis runs here, so this tests
what a fresh machine without Redis gets from ``bash scripts/demo``.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
import redis
from django.core.management import call_command
from django.core.management.base import CommandError

from django_kue.connection import get_queue
from django_kue.core import HandlerSpec, KueConfig, Queue, Worker
from django_kue.core.errors import InvalidState
from testproject.demo.management.commands.kuedemo import Command
from testproject.demo.management.embedded import EmbeddedRedis, answers
from tests.conftest import ROOT
from tests.helpers import wait_until


@pytest.fixture
def embedded():
    server = EmbeddedRedis().start()
    yield server
    server.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def echo(job):
    return job.data


def test_answers_tells_a_dead_url_from_a_live_one(embedded):
    assert answers(KueConfig(url=embedded.url))
    assert not answers(KueConfig(url=f"redis://127.0.0.1:{free_port()}/0"))


def test_error_replies_keep_the_connection(embedded):
    """fakeredis's own TCP server hung up after an error reply; the demo's does not."""
    client = redis.Redis.from_url(embedded.url, retry=None)
    with pytest.raises(redis.exceptions.NoScriptError):
        client.evalsha("0" * 40, 0)
    with pytest.raises(redis.ResponseError, match="^BADSTATE nope$"):
        client.eval("return redis.error_reply('BADSTATE nope')", 0)
    with pytest.raises(redis.ResponseError, match="unknown command"):
        client.execute_command("NOSUCHCOMMAND")
    assert client.ping()
    assert client.client_list()[0]["id"] == str(client.client_id())  # the same connection


def test_the_queue_runs_on_the_embedded_redis(embedded):
    """Lua scripts, the event stream (XADD), BLPOP doorbells and CLIENT UNBLOCK, over TCP."""
    queue = Queue(config=KueConfig(url=embedded.url, prefix="demo-test"))
    worker = Worker(queue, [HandlerSpec("echo", echo, 2)], idle_wait=30_000)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    job = queue.create("echo", {"n": 1}).save()
    # the worker idles in BLPOP for up to 30 s: only the doorbell can start the job this soon
    assert queue.wait_for(job.id, ["complete"], timeout=5) == "complete"
    assert queue.get_job(job.id).result == {"n": 1}
    with pytest.raises(InvalidState):  # a script's error reply, mapped
        queue.set_state(job.id, "active")
    events = queue.client.xrange(queue.keys.events)
    assert {fields[b"event"] for _, fields in events} >= {b"enqueue", b"start", b"complete"}
    started = time.monotonic()
    worker.stop()  # rings its own doorbell: CLIENT UNBLOCK ends the 30 s BLPOP
    thread.join(10)
    assert not thread.is_alive()
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("args, words", [
    (["--port=0"], "not a TCP port"),
    (["--jobs=-1"], "must not be negative"),
    (["--every=0"], "must be positive"),
    (["--exit-after=soon"], "not a number"),
])
def test_bad_demo_options_are_refused(args, words):
    with pytest.raises(CommandError, match=words):
        call_command("kuedemo", *args)


def test_the_demo_refuses_a_port_in_use():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(CommandError, match="is in use"):
            call_command("kuedemo", f"--port={busy.getsockname()[1]}", "--embedded")


class Demo:
    """``manage.py kuedemo`` as a subprocess, its output collected line by line."""

    def __init__(self, tmp_path, *args, env=None):
        env = {**os.environ, "KUE_SQLITE": str(tmp_path / "demo.sqlite3"),
               "PYTHONUNBUFFERED": "1", "KUE_PREFIX": "q", **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "testproject" / "manage.py"), "kuedemo", *args],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def close(self):
        """SIGTERM first: the demo then stops its children (a SIGKILL would orphan them)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc.wait(10)
        self.reader.join(10)
        self.proc.stdout.close()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def line(self, pattern: str) -> re.Match:
        return wait_until(lambda: next(filter(None, (re.search(pattern, x) for x in self.lines)), None)
                          or (self.proc.poll() is not None and pytest.fail(self.output)),
                          timeout=60, interval=0.05, message=f"a line matching {pattern!r}")


def http_get(url: str, auth: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def test_embedded_is_used_when_asked_even_if_redis_runs(redis_client, monkeypatch):
    monkeypatch.setenv("KUE_REDIS_URL", "restored-after-the-test")
    out = io.StringIO()
    command = Command(stdout=out)
    embedded = command._redis(force_embedded=True)
    try:
        assert out.getvalue().startswith(f"--embedded: using an embedded in-memory Redis "
                                         f"(fakeredis) on {embedded.address}; jobs vanish")
        assert os.environ["KUE_REDIS_URL"] == embedded.url  # what the children will use
        queue = get_queue()
        assert queue.config.url == embedded.url
        assert queue.client.ping()
    finally:
        command._override.disable()
        embedded.stop()


@pytest.mark.slow
def test_the_demo_runs_end_to_end_on_the_embedded_redis(tmp_path):
    """What a fresh machine gets: no Redis answers at KUE_REDIS_URL, so the demo embeds one."""
    port, dead = free_port(), f"redis://127.0.0.1:{free_port()}/0"
    demo = Demo(tmp_path, "--port", str(port), "--jobs", "8", "--every", "1", "--exit-after", "120",
                env={"KUE_REDIS_URL": dead})
    try:
        address = demo.line(rf"^No Redis at {re.escape(dead)}: using an embedded in-memory Redis "
                            r"\(fakeredis\) on (127\.0\.0\.1:\d+); jobs vanish when the demo stops\.$"
                            ).group(1)
        demo.line(r"Created the staff superuser admin / admin")
        demo.line(r"Press Ctrl-C to stop")
        assert f"http://127.0.0.1:{port}/admin/" in demo.output
        queue = Queue(config=KueConfig(url=f"redis://{address}/0", prefix="q"))

        def done_by_type():
            return {t: queue.complete_count(t) for t in ("email", "video", "flaky", "report")}

        # jobs of every type complete; the flaky ones that fail for good end up failed
        wait_until(lambda: all(done_by_type().values()), timeout=60, interval=0.2,
                   message="a completed job of every demo type")
        wait_until(lambda: queue.failed_count("flaky") > 0, timeout=60, interval=0.2)
        retried = [j for j in queue.range_by_type("flaky", "complete", 0, -1) if j.attempts_made > 1]
        assert retried, "a flaky job completed after a retry"
        report = queue.range_by_type("report", "complete", 0, 0)[0]
        assert any(line.startswith("row 0:") for line in queue.log_lines(report.id))
        video = queue.range_by_type("video", "complete", 0, 0)[0]
        assert video.progress() == 100
        assert video.progress_data == {"frame": video.data["frames"]}  # the last progress call
        wait_until(lambda: re.search(r"jobs: \d+ inactive", demo.output), timeout=30)

        status, body = http_get(f"http://127.0.0.1:{port}/kue/stats", auth="admin:admin")
        assert status == 200
        assert int(json.loads(body)["completeCount"]) >= 4
        status, _ = http_get(f"http://127.0.0.1:{port}/admin/login/")
        assert status == 200

        demo.proc.send_signal(signal.SIGINT)  # what Ctrl-C does
        assert demo.proc.wait(60) == 0, demo.output
    finally:
        demo.close()
    assert "Demo stopped." in demo.output
    assert "Embedded Redis stopped" in demo.output
    with pytest.raises(OSError):  # the site is gone with the demo
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
