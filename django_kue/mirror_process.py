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
import subprocess
import sys
import threading
from typing import Iterator

import redis
from django.conf import settings
from django.db import DatabaseError, close_old_connections

from .conf import kue_settings
from .mirror import Mirror, MirrorBusy, syncing

logger = logging.getLogger("django_kue.mirror")

PACE_MS = 50  # the child's pause after a small batch (see Mirror.follow)


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
    from .supervisor import child_command

    command = child_command(["kuemirror", f"--parent={os.getpid()}", "--verbosity=0"])
    child = subprocess.Popen(command)
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
        mirror = Mirror()
        try:
            with mirror.locked():
                mirror.catch_up()
        except (MirrorBusy, redis.ConnectionError, DatabaseError) as exc:
            logger.info("job mirror: no final catch-up (%s)", exc)
        finally:
            close_old_connections()


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
