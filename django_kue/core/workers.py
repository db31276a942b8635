"""The live workers of a queue, for operators: who is working, where, on what.

Each worker's heartbeat (every ``LEASE / 3``) writes its record into the queue's ``workers``
hash through ``worker_beat.lua``, which also drops records that stopped beating for
``STALE_LEASES`` leases (a worker killed with SIGKILL cannot say goodbye). A worker that stops
normally deletes its own record. Readers count a worker alive while its last beat is younger
than one lease: the same rule by which its jobs would be recovered.
"""

from __future__ import annotations

import json
import os
import socket
import time
from typing import TYPE_CHECKING, Any

from . import clock, codec

if TYPE_CHECKING:
    from .queue import Queue
    from .worker import Worker

STALE_LEASES = 3  # a record not renewed for this many leases is deleted
MAX_LISTED_JOBS = 100  # active job ids a record lists at most (the count is always exact)
_PROCESS_STARTED = int(time.time() * 1000)  # ms; a worker runs for its process's life


def record(worker: Worker) -> dict[str, Any]:
    """What the dashboard and ``GET /workers`` show of one worker."""
    running = list(worker._running)
    return {
        "id": worker.id, "host": socket.gethostname(), "pid": os.getpid(),
        "types": {spec.type: spec.concurrency for spec in worker.handlers.values()},
        "active": len(running), "jobs": sorted(running)[:MAX_LISTED_JOBS],
        "processed": worker.processed, "heartbeat_at": clock.now_ms(),
        "started_at": _PROCESS_STARTED,
    }


def beat(worker: Worker) -> None:
    """Write the worker's record (called from its heartbeat thread)."""
    queue = worker.queue
    stale_before = clock.now_ms() - STALE_LEASES * queue.config.lease
    queue.scripts("worker_beat", worker.id, json.dumps(record(worker)), stale_before)


def gone(worker: Worker) -> None:
    """Delete the worker's record as it stops (best effort: a stale one expires anyway)."""
    queue = worker.queue
    try:
        queue.scripts("worker_beat", worker.id, "", clock.now_ms() - STALE_LEASES * queue.config.lease)
    except Exception:  # Redis down at shutdown: the record goes stale and is dropped later
        pass


def live(queue: Queue) -> list[dict[str, Any]]:
    """Records of the workers that beat within the last lease, by host and pid."""
    alive_since = clock.now_ms() - queue.config.lease
    found = []
    for raw in queue.client.hvals(queue.keys.workers):
        try:
            item = json.loads(codec.text(raw))
        except ValueError:
            continue
        if isinstance(item, dict) and int(item.get("heartbeat_at") or 0) >= alive_since:
            found.append(item)
    return sorted(found, key=lambda w: (str(w.get("host")), int(w.get("pid") or 0), str(w.get("id"))))
