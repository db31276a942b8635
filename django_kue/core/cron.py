"""A five-field cron expression (minute hour day-of-month month day-of-week), for periodic jobs.

Fields take ``*``, numbers, ranges ``1-5``, steps ``*/15`` / ``1-30/2``, lists ``1,15``,
month names ``jan``-``dec`` and day names ``sun``-``sat`` (0 and 7 are Sunday). As in Vixie
cron, when both day-of-month and day-of-week are restricted, a day matching either runs.
Evaluated on the wall clock of the given time zone (UTC unless told).
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Iterator

from .errors import InvalidJob

_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_NAMES: tuple[dict[str, int], ...] = (
    {}, {}, {},
    {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())},
    {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())},
)
_MINUTE = dt.timedelta(minutes=1)
_MAX_STEPS = 100_000  # a cron that never matches (Feb 30) is refused well before this


class Cron:
    def __init__(self, expression: str, tz: dt.tzinfo = dt.UTC) -> None:
        if not isinstance(expression, str):
            raise InvalidJob(f"cron must be a string like '*/5 * * * *', not {expression!r}")
        fields = expression.split()
        if len(fields) != 5:
            raise InvalidJob(f"cron {expression!r}: expected 5 fields (minute hour day month "
                             f"weekday), got {len(fields)}")
        self.expression, self.tz = expression, tz
        sets = [_field(text, i, expression) for i, text in enumerate(fields)]
        self.minutes, self.hours, self.days, self.months, weekdays = sets
        self.weekdays = {d % 7 for d in weekdays}
        self.any_day, self.any_weekday = fields[2] == "*", fields[4] == "*"
        if self.next_after(dt.datetime(2000, 1, 1, tzinfo=tz)) is None:
            raise InvalidJob(f"cron {expression!r} never matches a date")

    def __repr__(self) -> str:
        return f"Cron({self.expression!r})"

    def _day_ok(self, t: dt.datetime) -> bool:
        dom, dow = t.day in self.days, (t.weekday() + 1) % 7 in self.weekdays
        if self.any_day or self.any_weekday:
            return dom and dow
        return dom or dow

    def next_after(self, after: dt.datetime) -> dt.datetime | None:
        """The first matching minute strictly after ``after`` (aware), or None."""
        local = after.astimezone(self.tz).replace(tzinfo=None, second=0, microsecond=0) + _MINUTE
        found = _search(self, local, forward=True)
        return None if found is None else found.replace(tzinfo=self.tz)

    def last_at_or_before(self, at: dt.datetime) -> dt.datetime | None:
        """The latest matching minute at or before ``at`` (aware), or None."""
        local = at.astimezone(self.tz).replace(tzinfo=None, second=0, microsecond=0)
        found = _search(self, local, forward=False)
        return None if found is None else found.replace(tzinfo=self.tz)


def _search(cron: Cron, t: dt.datetime, forward: bool) -> dt.datetime | None:
    """Walk from ``t`` (naive wall clock) a month, day, hour or minute at a time."""
    for _ in range(_MAX_STEPS):
        if t.month not in cron.months:
            t = _next_month(t) if forward else t.replace(day=1, hour=0, minute=0) - _MINUTE
        elif not cron._day_ok(t):
            t = (t.replace(hour=0, minute=0) + dt.timedelta(days=1) if forward
                 else t.replace(hour=0, minute=0) - _MINUTE)
        elif t.hour not in cron.hours:
            t = (t.replace(minute=0) + dt.timedelta(hours=1) if forward
                 else t.replace(minute=0) - _MINUTE)
        elif t.minute not in cron.minutes:
            t = t + _MINUTE if forward else t - _MINUTE
        else:
            return t
        if not dt.datetime(1971, 1, 1) < t < dt.datetime(9000, 1, 1):
            return None
    return None


def _next_month(t: dt.datetime) -> dt.datetime:
    year, month = (t.year + 1, 1) if t.month == 12 else (t.year, t.month + 1)
    return dt.datetime(year, month, 1)


def _field(text: str, index: int, expression: str) -> set[int]:
    low, high = _BOUNDS[index]
    values: set[int] = set()
    for part in text.split(","):
        values.update(_part(part.lower(), index, low, high, expression))
    return values


def _part(part: str, index: int, low: int, high: int, expression: str) -> Iterator[int]:
    def bad(why: str) -> InvalidJob:
        return InvalidJob(f"cron {expression!r}: {why} in field {index + 1} ({part!r})")

    body, _, step_text = part.partition("/")
    step = 1
    if step_text:
        if not step_text.isdecimal() or int(step_text) < 1:
            raise bad("a bad step")
        step = int(step_text)
    if body == "*":
        start, stop = low, high
    else:
        first, dash, last = body.partition("-")
        start = _number(first, index, bad)
        stop = _number(last, index, bad) if dash else (high if step_text else start)
    if not low <= start <= stop <= high:
        raise bad(f"a value out of {low}-{high}")
    return iter(range(start, stop + 1, step))


def _number(text: str, index: int, bad: Callable[[str], InvalidJob]) -> int:
    if text in _NAMES[index]:
        return _NAMES[index][text]
    if not text.isdecimal():
        raise bad("not a number")
    return int(text)
