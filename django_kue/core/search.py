"""Kue's full-text search over ``search_keys`` (off by default, as ``disableSearch`` was).

Words are lower-cased runs of letters and digits; a query returns the jobs holding every word.
Indexing happens inside the save script, so a job and its index never disagree.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from . import codec

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORD = 64
MAX_WORDS = 500


def words(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if len(word) <= MAX_WORD:
            seen.setdefault(word, None)
    return list(seen)[:MAX_WORDS]


def indexed_text(data: dict[str, Any], search_keys: Iterable[str] | None) -> str:
    """The text Kue indexed: each search key's value, or the whole data as JSON."""
    if not search_keys:
        return codec.dumps(data)
    parts = []
    for path in search_keys:
        value: Any = data
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            parts.append(value if isinstance(value, str) else codec.dumps(value))
    return " ".join(parts)
