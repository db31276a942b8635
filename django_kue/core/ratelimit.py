"""Rate limits per job type: at most N jobs of the type start per period, across all workers.

``@kue_job("api", rate_limit="100/m")``; also ``"5/s"``, ``"10/30s"``, ``"1000/h"``,
``"2/500ms"``, ``"50/d"``, or ``(100, timedelta(minutes=1))``. Enforced in Redis by
``claim.lua`` (``lua/includes/ratelimit.lua``): a counter per fixed window (aligned to the
epoch), so jobs over the limit stay ``inactive`` — never failed — and the worker sleeps until
the window ends instead of polling. Fixed windows, like BullMQ's limiter: across a window
boundary up to 2N may start within one period.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from .errors import InvalidJob

UNITS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(ms|s|m|h|d)\s*$")


@dataclasses.dataclass(frozen=True)
class RateLimit:
    limit: int  # jobs per window
    window: int  # ms

    def claim_arg(self, want: int) -> str:
        """What claim.lua takes for a limited type instead of the plain count."""
        return f"{want}:{self.limit}:{self.window}"

    def __str__(self) -> str:
        return f"{self.limit}/{self.window}ms"


def parse(value: Any) -> RateLimit | None:
    """``"100/m"``, ``(100, timedelta | ms)``, a RateLimit or None; anything else is refused."""
    if value is None or isinstance(value, RateLimit):
        return value
    if isinstance(value, str):
        match = _RATE.match(value)
        if not match:
            raise InvalidJob(f"rate_limit must look like '100/m' (per ms, s, m, h or d, "
                             f"optionally '10/30s'), not {value!r}")
        limit, count, unit = int(match[1]), int(match[2] or 1), match[3]
        return _checked(limit, count * UNITS[unit], value)
    if isinstance(value, (tuple, list)) and len(value) == 2:
        limit, window = value
        if isinstance(window, dt.timedelta):
            window = int(window.total_seconds() * 1000)
        if isinstance(limit, int) and isinstance(window, int) and not isinstance(limit, bool):
            return _checked(limit, window, value)
    raise InvalidJob(f"rate_limit must be '100/m' or (count, timedelta), not {value!r}")


def _checked(limit: int, window: int, value: Any) -> RateLimit:
    if limit < 1 or window < 1 or window > UNITS["d"] * 366:
        raise InvalidJob(f"rate_limit {value!r}: the count and the period must be positive "
                         f"(and the period at most a year)")
    return RateLimit(limit, window)
