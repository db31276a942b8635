"""Job events: Kue's names, read back from the Redis stream the scripts write to.

Every state change script appends ``{event, id, type, args}`` to the queue's stream (when
events are on), so any process can follow what happens in another, and a reader that was away
misses nothing the stream still holds.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
import uuid
from typing import TYPE_CHECKING, Any, Iterator, Protocol, Sequence, cast

from . import codec

if TYPE_CHECKING:
    from .queue import Queue

# Kue's job events, plus the internal ones the mirror also follows.
JOB_EVENTS = ("enqueue", "start", "promotion", "progress", "failed attempt", "failed",
              "complete", "remove")
INTERNAL_EVENTS = ("delayed", "state", "priority", "update")


logger = logging.getLogger("django_kue.events")


@dataclasses.dataclass(frozen=True)
class Event:
    stream_id: str  # "" for an event handed back by the script that emitted it
    event: str
    job_id: int
    type: str
    args: list[Any]
    origin: str = ""  # the emitting process (see origin())

    @classmethod
    def parse(cls, stream_id: Any, fields: dict[Any, Any]) -> Event:
        f = {codec.text(k): codec.text(v) for k, v in fields.items()}
        return cls(codec.text(stream_id) or "", f.get("event") or "", int(f.get("id") or 0),
                   f.get("type") or "", json.loads(f.get("args") or "[]"), f.get("origin") or "")

    @classmethod
    def from_reply(cls, item: Sequence[Any]) -> Event:
        """An event as a script hands it back: [event, id, type, args]."""
        event, job_id, type_, args = (codec.text(v) for v in item)
        return cls("", event or "", int(job_id or 0), type_ or "", json.loads(args or "[]"), origin())


# -- this process's origin tag -----------------------------------------------------------------
_origin: list[str] = []


def origin() -> str:
    """A tag unique to this process, written with every event it causes (new after a fork)."""
    if not _origin:
        _origin.append(f"{os.getpid()}-{uuid.uuid4().hex[:12]}")
    return _origin[0]


os.register_at_fork(after_in_child=_origin.clear)


# -- listeners in this process ---------------------------------------------------------------
class Listener(Protocol):
    """Receives events: ``remote`` is False for events this process caused (handed back by
    the script that emitted them, in the calling thread), True for events another process
    caused, read from the stream by a follower thread."""

    def wants(self) -> bool: ...

    def events(self, prefix: str, events: list[Event], remote: bool) -> None: ...

    def error(self, prefix: str, error: BaseException) -> None: ...


_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def unsubscribe(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def collecting() -> bool:
    """Whether scripts should hand their events back (free when nobody listens)."""
    return any(listener.wants() for listener in _listeners)


def publish(prefix: str, events: list[Event], remote: bool = False) -> None:
    """Give events to every listener; a failing listener is logged, never the caller's problem
    (the state change already happened in Redis)."""
    for listener in list(_listeners):
        try:
            listener.events(prefix, events, remote)
        except Exception:
            logger.exception("event listener %r failed", listener)


def report_error(prefix: str, error: BaseException) -> None:
    """Kue's queue ``error`` event: Redis unreachable, a worker's internal failure."""
    for listener in list(_listeners):
        try:
            listener.error(prefix, error)
        except Exception:
            logger.exception("event listener %r failed", listener)


def read(queue: Queue, after: str = "$", block_ms: int | None = None,
         count: int = 500) -> Iterator[Event]:
    """Events after a stream id ("$" = only new ones), waiting up to ``block_ms``."""
    # RESP2: [[stream, [(id, fields), ...]], ...], None when block_ms ran out (redis-py's
    # declared type also covers RESP3's dict)
    reply = cast("list[list[Any]] | None",
                 queue.client.xread({queue.keys.events: after}, count=count, block=block_ms))
    for _stream, entries in reply or []:
        for stream_id, fields in entries:
            yield Event.parse(stream_id, fields)


def last_id(queue: Queue) -> str:
    info = queue.client.xinfo_stream(queue.keys.events) if queue.client.exists(queue.keys.events) else None
    return codec.text(info["last-generated-id"]) if info else "0-0"


def wait_for_state(queue: Queue, job_id: int, states: Sequence[str],
                   timeout: float | None = None) -> str:
    """Block until the job is in one of ``states``; returns that state.

    Follows the event stream (no polling) and re-reads the state after each batch, so an
    event that happened between the first read and the first XREAD is not missed.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    after = last_id(queue) if queue.config.events else None
    while True:
        state = codec.text(queue.client.hget(queue.keys.job(job_id), "state"))
        if state is None:
            from .errors import JobNotFound

            raise JobNotFound(job_id)
        if state in states:
            return state
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise TimeoutError(f"job {job_id} is still {state} after {timeout} s")
        wait_ms = 1000 if left is None else max(1, min(1000, int(left * 1000)))
        if after is None:
            time.sleep(wait_ms / 1000 / 10)
            continue
        for event in read(queue, after, block_ms=wait_ms):
            after = event.stream_id
