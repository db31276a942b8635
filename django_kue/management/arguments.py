"""argparse ``type=`` validators shared by the management commands (and the demo's).

One set, so that every command refuses the same bad numbers with the same words: an integer
option takes only an integer as written ("2.0" is refused, not rounded), zero counts as
positive nowhere, and a refusal names the value it refused.
"""

from __future__ import annotations

import argparse
import math


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    raise argparse.ArgumentTypeError(f"{text!r} must be a whole number")


def non_negative_int(text: str) -> int:
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return value


def positive_int(text: str) -> int:
    """0 processes, 0 slots or 0 jobs would be a silent no-op: refused instead."""
    value = non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def port(text: str) -> int:
    try:
        value = _integer(text)
    except argparse.ArgumentTypeError:
        value = 0
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port (1-65535)")
    return value


def type_list(text: str) -> list[str]:
    """Comma-separated job types, blanks dropped; at least one."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"{text!r} names no job type: give at least one job type")
    return names
