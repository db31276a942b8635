"""The one source of time: milliseconds since the epoch, as Kue stores timestamps."""

from __future__ import annotations

import time


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def monotonic_ms() -> float:
    """For durations and deadlines inside one process (immune to clock changes)."""
    return time.monotonic() * 1000.0
