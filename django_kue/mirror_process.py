"""runkueworker's job mirror in a child process (``manage.py kuemirror --parent PID``).

The mirror's syncer parses events, reads job hashes and writes rows: as a thread of the worker
it took two thirds of the worker's CPU and competed with the jobs for the GIL
(bench/PROFILE.md). A child process runs it on another core instead. The child stops when the
worker stops (SIGTERM), and on its own when the worker dies (it watches its parent), so a
SIGKILLed worker leaves no syncer behind; the Redis lock keeps it to one syncer at a time.

Where a child cannot see what this process sees -- ``call_command()`` in a test (an in-memory
test database, a client factory given as a callable) -- or with ``KUE["MIRROR_PROCESS"]`` off,
the syncer is the thread of :func:`django_kue.mirror.syncing`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Iterator

from django.conf import settings
from django.db import connections

from .conf import kue_settings
from .mirror import Mirror, final_catch_up, syncing

logger = logging.getLogger("django_kue.mirror")

PACE_MS = 50  # the child's pause after a small batch (see Mirror.follow)
PROCESS_NAME = "kue-mirror"  # the forked syncer's name in ps (see _name_process)
NICE = 5  # the admin's view yields the CPU to the jobs and Redis when both cores are busy
CHILD_BATCH = 4000  # events per read: a job's start and complete mostly meet in one batch


def child_wanted() -> bool:
    """Whether runkueworker should sync from a child process: only when it was started as a
    command (``manage.py runkueworker``, ``django-admin``, ``python -m django``), so the child
    gets the same settings and database, and the client is not a callable only this process has."""
    if not kue_settings.MIRROR_PROCESS:
        return False
    if sys.argv[1:2] != ["runkueworker"]:
        return False
    factory = (getattr(settings, "KUE", None) or {}).get("CLIENT_FACTORY")
    return factory is None or isinstance(factory, str)


@contextlib.contextmanager
def mirroring() -> Iterator[None]:
    """runkueworker's mirror for the duration of the block: a child process when it can be,
    else a thread. Either way the block ends with a final catch-up here."""
    if not child_wanted():
        with syncing():
            yield
        return
    child = _fork() if threading.active_count() == 1 and hasattr(os, "fork") else _spawn()
    try:
        yield
    finally:
        if child.poll() is None:
            child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        final_catch_up(Mirror())


def _spawn() -> subprocess.Popen:
    """A fresh ``manage.py kuemirror --parent PID`` (when this process already runs threads,
    which a fork must not copy)."""
    from .supervisor import child_command

    return subprocess.Popen(child_command(["kuemirror", f"--parent={os.getpid()}", "--verbosity=0"]))


class _Forked:
    """A forked child, with the few Popen methods mirroring() uses."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"mirror process {self.pid}", timeout or 0)
            time.sleep(0.02)
        return self.returncode  # type: ignore[return-value]

    def terminate(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)


def _fork() -> _Forked:
    """Fork the syncer off this process: it has Django loaded already (a fresh ``kuemirror``
    spends about a second of CPU starting up). Called before the worker starts any thread;
    nothing that holds a socket crosses the fork (django_kue.connection drops its queue in
    the child, and the database connections are closed first)."""
    connections.close_all()
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return _Forked(pid)
    code = 0
    try:  # the child: never returns into the worker's code
        _name_process(PROCESS_NAME)
        with contextlib.suppress(OSError):
            os.nice(NICE)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        watch_parent(parent, stop)
        Mirror(batch=CHILD_BATCH).follow(stop, pace_ms=PACE_MS)
    except BaseException:  # noqa: BLE001 - reported, then the child exits
        logger.exception("job mirror process failed")
        code = 1
    finally:
        os._exit(code)


def _name_process(name: str) -> None:
    """Linux: the forked child's name in ps/top (/proc/PID/comm), so it is told from its worker."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME


def watch_parent(parent: int, stop: threading.Event, every: float = 0.2) -> threading.Thread:
    """Set ``stop`` once ``parent`` is no longer this process's parent (it died)."""

    def watch() -> None:
        while not stop.wait(every):
            if os.getppid() != parent:
                logger.info("job mirror: worker %d is gone; stopping", parent)
                stop.set()

    thread = threading.Thread(target=watch, name="kue-mirror-parent", daemon=True)
    thread.start()
    return thread
