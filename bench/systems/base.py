"""The interface every system implements, and the subprocess handling they share."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import psutil
import redis

BENCH = Path(__file__).resolve().parent.parent
ROOT = BENCH.parent
PY = sys.executable
BIN = Path(PY).parent


class Handle:
    """Worker subprocesses; peak RSS of each process tree is sampled while it runs."""

    def __init__(self, procs: list[subprocess.Popen], side: Callable[[Any], bool] | None = None) -> None:
        self.procs = procs
        self.side = side or (lambda child: False)  # a child that is not part of the worker
        self.peak_rss = 0  # bytes, largest process tree among the workers
        self.peak_mirror_rss = 0  # bytes, django-kue's mirror syncer process (not in peak_rss)
        self.first_t = 0.0  # when the first job was seen done, and how many were done then
        self.first_done = 0

    def sample_rss(self) -> None:
        """The worker's process tree (a prefork pool's children count), except django-kue's
        mirror syncer, a separate service that runkueworker starts: its RSS is kept apart."""
        for p in self.procs:
            try:
                root = psutil.Process(p.pid)
                rss = mirror = 0
                for x in [root, *root.children(recursive=True)]:
                    if x is not root and self.side(x):
                        mirror += x.memory_info().rss
                    else:
                        rss += x.memory_info().rss
            except psutil.Error:
                continue
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_mirror_rss = max(self.peak_mirror_rss, mirror)


class System:
    name = "?"
    settings: tuple[str, ...] = ("default",)  # worker settings tried for W2 (the best is kept)
    bulk_note = ""  # how the bulk form is done, for the table's notes
    latency = True  # runs W4/W5 (the events+mirror-off row does not: see systems/kue.py)

    def __init__(self) -> None:
        self.url = ""
        self.r: redis.Redis | None = None

    # -- set up --------------------------------------------------------------------------
    def setup(self, url: str) -> None:
        self.url = url
        self.r = redis.Redis.from_url(url)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["BENCH_REDIS_URL"] = self.url
        env["PYTHONPATH"] = os.pathsep.join([str(BENCH), str(ROOT)])
        env.pop("PYTHONSTARTUP", None)
        return env

    # -- producing (in the benchmark's process) -------------------------------------------
    def enqueue_one(self, n: int) -> None:
        raise NotImplementedError

    def enqueue_bulk(self, n: int) -> None:
        raise NotImplementedError

    def enqueue_probe(self, ref: float, delay_ms: int = 0) -> None:
        """One probe job; it records time.time() - ref when it starts (delay_ms: delayed)."""
        raise NotImplementedError

    def done(self) -> int:
        """No-op jobs finished so far (from the system's own bookkeeping)."""
        raise NotImplementedError

    # -- workers ---------------------------------------------------------------------------
    def worker_command(self, setting: str, probe: bool) -> list[str]:
        raise NotImplementedError

    def start_worker(self, processes: int = 1, setting: str = "default", probe: bool = False) -> Handle:
        cmd = self.worker_command(setting, probe)
        procs = [subprocess.Popen(cmd, env=self.env(), cwd=str(BENCH), stdout=subprocess.DEVNULL,
                                  stderr=open(BENCH / ".work" / f"{self.slug()}.log", "ab"),
                                  start_new_session=True) for _ in range(processes)]
        return Handle(procs, self.side_process)

    def side_process(self, child: Any) -> bool:
        """Whether a child process of a worker is a separate service (its RSS is kept apart)."""
        return False

    def stop(self, handle: Handle) -> None:
        """SIGKILL: the measurement is over and Redis is flushed before the next one, so a
        graceful drain would only cost time."""
        for p in handle.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
        for p in handle.procs:
            p.wait()

    def label(self) -> str:
        return self.name

    def slug(self) -> str:
        return self.label().replace(" ", "_").replace("/", "_")
