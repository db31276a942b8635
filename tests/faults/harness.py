"""What the fault tests share: worker processes that can be killed and replaced, who held which
job when a worker died, and the figures each test prints and saves.

Workers are real ``manage.py runkueworker`` processes with the fault handler of
``testproject/faultjobs`` (``f.work``); their output goes to files (a pipe nobody reads would
fill and block them). Every process started here is killed at the end of the test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.conftest import ROOT
from tests.helpers import wait_until

ARTIFACTS = ROOT / "test-artifacts" / "faults"


def env_int(name: str, default: int) -> int:
    """Sizes can be shrunk for a quick local run (KUE_FAULT_JOBS=2000 KUE_FAULT_SECONDS=10)."""
    return int(os.environ.get(name, default))


class WorkerPool:
    """``runkueworker`` processes on one queue; ``replace()`` starts one in a dead one's place."""

    def __init__(self, logs: Path, url: str, prefix: str, lease: int, *args: str,
                 env: dict[str, str] | None = None, mirror: bool = False) -> None:
        self.logs = logs
        self.args = ["--types=f.work", "--verbosity=0", *args] + ([] if mirror else ["--no-mirror"])
        self.env = {**os.environ, "KUE_REDIS_URL": url, "KUE_PREFIX": prefix,
                    "KUE_LEASE": str(lease), "KUE_EXTRA_APPS": "testproject.faultjobs",
                    "PYTHONUNBUFFERED": "1", **(env or {})}
        self.procs: list[subprocess.Popen] = []  # current workers
        self.every: list[subprocess.Popen] = []  # every process ever started, for clean-up
        self.started = 0

    def start(self, count: int = 1) -> None:
        for _ in range(count):
            self.started += 1
            with open(self.logs / f"worker-{self.started}.log", "w") as out:
                proc = subprocess.Popen(
                    [sys.executable, str(ROOT / "testproject" / "manage.py"), "runkueworker",
                     *self.args], env=self.env, stdout=out, stderr=subprocess.STDOUT)
            self.procs.append(proc)
            self.every.append(proc)

    def replace(self, proc: subprocess.Popen) -> None:
        self.procs.remove(proc)
        self.start()

    def dead(self) -> list[subprocess.Popen]:
        return [p for p in self.procs if p.poll() is not None]

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM (a graceful drain), then SIGKILL whatever is left: nothing outlives a test."""
        for proc in self.every:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.every:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)

    def output(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.logs.glob("worker-*.log")))


class RedisServer:
    """A ``redis-server`` of the test's own on a free loopback port, AOF on (``appendfsync
    everysec``) in a temporary directory, so a restart reloads what it had."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("CI"):
                pytest.fail("redis-server is not installed")
            pytest.skip("redis-server is not installed")
        self.binary, self.directory = binary, directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.directory / "redis.log", "a") as out:
            self.proc = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
                 str(self.directory), "--appendonly", "yes", "--appendfsync", "everysec",
                 "--save", ""], stdout=out, stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.url)
        try:
            wait_until(lambda: _answers(client), 15, 0.02, "redis-server to start")
        finally:
            client.close()

    def stop(self) -> None:
        """SIGTERM: Redis writes and fsyncs its AOF, then exits (a restart, not a crash)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:  # refused, or BusyLoadingError while it reads its AOF
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_id(pid: int) -> str:
    return f"kue:{socket.gethostname()}:{pid}"


def held_by(queue: Any, pid: int) -> set[int]:
    """Jobs a worker held when it died: active, claimed by it (its id is ``kue:<host>:<pid>``).
    Read after its death and before its leases expire, so none has been recovered yet."""
    ids = [int(m[3:]) for m in queue.client.zrange(queue.keys.state("active"), 0, -1)]
    pipe = queue.client.pipeline(transaction=False)
    for job_id in ids:
        pipe.hget(queue.keys.job(job_id), "workerId")
    wanted = worker_id(pid).encode()
    return {job_id for job_id, owner in zip(ids, pipe.execute()) if owner == wanted}


def states(queue: Any, ids: list[int]) -> dict[str, int]:
    """How many of these jobs are in each state, read from every job's own hash."""
    out: dict[str, int] = {}
    for start in range(0, len(ids), 5000):
        pipe = queue.client.pipeline(transaction=False)
        for job_id in ids[start:start + 5000]:
            pipe.hget(queue.keys.job(job_id), "state")
        for state in pipe.execute():
            name = state.decode() if state else "missing"
            out[name] = out.get(name, 0) + 1
    return out


def run_counts(client: redis.Redis, key: str) -> dict[int, int]:
    return {int(k): int(v) for k, v in client.hgetall(key).items()}


def report(name: str, figures: dict[str, Any], capsys: Any) -> None:
    """Print the figures (past pytest's capture, so CI logs show them) and save them as JSON."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    figures = {"test": name, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **figures}
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
    with capsys.disabled():
        print(f"\n[fault] {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()
                                               if k not in ("test", "at")))
