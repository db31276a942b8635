"""Unique jobs: ``unique_key="..."`` (or a callable of the job's data) makes a second enqueue,
while a job of the same type and key is inactive, delayed or active, return that job instead
of a duplicate. Enforced in ``save.lua`` (``lua/includes/dedupe.lua``): one index per type,
``{q}:unique:<type>``, cleared when the job ends (complete, failed, cancelled or removed).
"""

from __future__ import annotations

from typing import Any

from .errors import InvalidJob

MAX_KEY = 1000  # characters


def validate(value: Any) -> Any:
    """A non-empty string (numbers are turned into one), a callable, or None."""
    if value is None or callable(value):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or len(value) > MAX_KEY:
        raise InvalidJob(f"unique_key must be a non-empty string of at most {MAX_KEY} characters "
                         f"or a callable of the data, not {value!r}")
    return value


def key_for(unique_key: Any, data: dict[str, Any]) -> str | None:
    """The job's key: a callable is called with the data at save; None means not unique."""
    if callable(unique_key):
        try:
            unique_key = unique_key(data)
        except Exception as exc:
            raise InvalidJob(f"unique_key callable failed: {exc!r}") from exc
        if unique_key is None:
            return None
    return validate(unique_key)
