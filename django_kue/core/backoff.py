"""Custom backoff: a Python callable registered with the job type (Kue eval'd source text).

Declarative backoffs (``True``, fixed, exponential) are computed inside ``fail.lua`` so that
stall recovery, which runs without the handler, retries them the same way.
"""

from __future__ import annotations

import logging
from typing import Callable

logger = logging.getLogger("django_kue.backoff")

BackoffFn = Callable[[int, int], float]


def callable_delay(fn: BackoffFn | None, attempts: int, delay: int) -> int:
    """Kue's ``fn(attempts, delay) -> ms``; -1 lets the script use the stored backoff.

    A callable that raises is reported and the job retries with its own delay, as in Kue.
    """
    if fn is None:
        return -1
    try:
        value = fn(attempts, delay)
        return max(0, int(value))
    except Exception:
        logger.exception("backoff function %r failed; retrying with the job's delay", fn)
        return max(0, delay)
