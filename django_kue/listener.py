"""Kue's events as Django signals (``django_kue.signals``).

Events this process causes are sent at once, in the thread that caused them (``remote=False``):
the Lua script that made the change hands its events back with its reply. Events of other
processes are read from the queue's Redis stream by a follower thread and sent with
``remote=True`` -- only once :func:`start` was called or ``KUE["LISTEN"]`` is on, since every
process would otherwise receive every event of every job (Kue's pub/sub did exactly that).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from . import signals
from .core import events
from .core.events import Event
from .core.follow import Follower, follow, job_listeners, unpin
from .core.queue import Queue

logger = logging.getLogger("django_kue.signals")

ALL_SIGNALS = (*signals.BY_EVENT.values(), signals.queue_error)


def signal_kwargs(event: Event) -> dict[str, Any]:
    """A signal's keyword arguments: Kue's event arguments, in Python spelling."""
    a = list(event.args) + [None, None]
    extra: dict[str, Any] = {}
    if event.event == "progress":
        extra = {"progress": a[0], "data": a[1]}
    elif event.event == "failed attempt":
        extra = {"error": a[0], "attempts_made": a[1]}
    elif event.event == "failed":
        extra = {"error": a[0]}
    elif event.event == "complete":
        extra = {"result": a[0]}
    return {"job_id": event.job_id, "type": event.type, **extra}


class SignalBridge:
    """The core's event listener that sends the signals."""

    def __init__(self) -> None:
        self.remote = 0  # callers of start() still listening

    def wants(self) -> bool:
        return any(signal.receivers for signal in ALL_SIGNALS)

    def events(self, prefix: str, batch: list[Event], remote: bool) -> None:
        if remote and not self.remote:
            return
        for event in batch:
            signal = signals.BY_EVENT.get(event.event)
            if signal is None or not signal.receivers:
                continue  # internal events (delayed, state, priority, update)
            # interned: Django matches senders by identity, and "email" written in a receiver's
            # sender= is the interned literal
            replies = signal.send_robust(sender=sys.intern(event.type), remote=remote,
                                         **signal_kwargs(event))
            _log_failures(event.event, replies)

    def error(self, prefix: str, error: BaseException) -> None:
        if signals.queue_error.receivers:
            replies = signals.queue_error.send_robust(sender=prefix, error=error, remote=False)
            _log_failures("error", replies)


def _log_failures(name: str, replies: list[tuple[Any, Any]]) -> None:
    for receiver, reply in replies:
        if isinstance(reply, Exception):
            logger.error("receiver %r of the %r signal failed", receiver, name, exc_info=reply)


bridge = SignalBridge()


def connect() -> None:
    """Called by AppConfig.ready(): local events become signals."""
    events.subscribe(bridge)


def start(queue: Queue | None = None) -> Follower | None:
    """Hear other processes' events as signals with ``remote=True`` (a daemon thread).

    Returns the follower (``stop(follower)`` undoes it), or None when ``KUE["EVENTS"]`` is off.
    """
    if queue is None:
        from .connection import get_queue

        queue = get_queue()
    follower = follow(queue, pin=True)
    if follower is not None:
        bridge.remote += 1
    return follower


def stop(follower: Follower | None) -> None:
    if follower is None:
        return
    bridge.remote = max(0, bridge.remote - 1)
    unpin(follower)
    if follower.pins == 0 and not job_listeners.watching(follower.prefix):
        follower.stop()
