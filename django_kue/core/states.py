"""Kue's vocabulary: the five states and the priority names."""

from __future__ import annotations

import enum

from .errors import InvalidPriority, InvalidState


class State(str, enum.Enum):
    INACTIVE = "inactive"
    DELAYED = "delayed"
    ACTIVE = "active"
    COMPLETE = "complete"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


STATES: tuple[str, ...] = tuple(s.value for s in State)


class Priority(enum.IntEnum):
    """Lower runs first, as in Kue."""

    LOW = 10
    NORMAL = 0
    MEDIUM = -5
    HIGH = -10
    CRITICAL = -15


PRIORITIES: dict[str, int] = {p.name.lower(): p.value for p in Priority}
# Scores keep FIFO order only while priorities stay well inside a double's exact range.
PRIORITY_LIMIT = 2**31


def parse_state(value: object) -> State:
    """A State from its name; anything else is refused (Kue accepted any string)."""
    try:
        return State(str(value).lower() if isinstance(value, str) else value)
    except ValueError:
        raise InvalidState(f"unknown state {value!r}; expected one of {', '.join(STATES)}") from None


def parse_priority(value: object) -> int:
    """Kue's priority names, an int, or an int-like string -> the number stored in Redis."""
    if isinstance(value, bool):
        raise InvalidPriority(f"invalid priority {value!r}")
    if isinstance(value, int):
        number = int(value)
    elif isinstance(value, str):
        text = value.strip().lower()
        if text in PRIORITIES:
            return PRIORITIES[text]
        try:
            number = int(text)
        except ValueError:
            raise InvalidPriority(
                f"unknown priority {value!r}; use {', '.join(PRIORITIES)} or an integer"
            ) from None
    else:
        raise InvalidPriority(f"invalid priority {value!r}")
    if abs(number) > PRIORITY_LIMIT:
        raise InvalidPriority(f"priority {number} is out of range (±{PRIORITY_LIMIT})")
    return number


def priority_name(value: int) -> str | int:
    """The Kue name of a priority number, or the number itself (as Kue's UI shows it)."""
    for name, number in PRIORITIES.items():
        if number == value:
            return name
    return value
