"""JSON in and out of Redis: the only serializer (never pickle), with a size limit."""

from __future__ import annotations

import json
from typing import Any, overload

from .errors import InvalidJob, PayloadTooLarge

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def dumps(value: Any, *, what: str = "data", limit: int | None = None) -> str:
    """Compact JSON; refuses what JSON cannot carry instead of silently coercing it."""
    try:
        text = _encoder.encode(value)
    except (TypeError, ValueError) as exc:
        raise InvalidJob(f"job {what} is not JSON-serialisable: {exc}") from None
    if limit is not None and len(text) > limit:
        raise PayloadTooLarge(f"job {what} is {len(text)} bytes of JSON; the limit is {limit}")
    return text


def loads(text: str | bytes | None, default: Any = None) -> Any:
    if text is None or text == b"" or text == "":
        return default
    return json.loads(text)


@overload
def text(value: str | bytes) -> str: ...
@overload
def text(value: str | bytes | None) -> str | None: ...
def text(value: str | bytes | None) -> str | None:
    """Redis replies may be bytes (a shared django-redis client) or str."""
    if isinstance(value, bytes):
        return value.decode()
    return value
