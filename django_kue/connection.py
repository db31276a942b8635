"""The process's queue, built from settings on first use; dropped when settings change and
in a forked child (a Redis connection must not be shared across a fork)."""

from __future__ import annotations

import os
import threading

from .conf import to_core_config
from .core.queue import Queue

_lock = threading.Lock()
_queue: Queue | None = None


def get_queue() -> Queue:
    """The default queue (Kue's ``createQueue()`` singleton, the Django way)."""
    global _queue
    if _queue is None:
        with _lock:
            if _queue is None:
                _queue = Queue(config=to_core_config())
    return _queue


def reset() -> None:
    global _queue
    _queue = None


os.register_at_fork(after_in_child=reset)
