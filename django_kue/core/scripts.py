"""The Lua scripts: read once, compiled per queue, called by name.

Each ``lua/<name>.lua`` is one state change. Every script is prefixed with the key builders
generated from ``keys.py``, the queue's constants and ``lua/includes/*.lua``, then registered
with redis-py (EVALSHA, reloaded on NOSCRIPT). Error replies are mapped to core exceptions here.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import redis

from .config import KueConfig
from .errors import InvalidState, JobNotFound, KueError
from .keys import Keys

NAMES = (
    "save", "update", "claim", "complete", "fail", "recover", "heartbeat", "promote",
    "remove", "set_state", "set_priority", "progress", "log",
)
WAKE_CAP = 32  # doorbell tokens kept per type; enough to wake every idle worker of a burst

ERRORS: dict[str, type[KueError]] = {
    "NOTFOUND": JobNotFound,
    "BADSTATE": InvalidState,
}


@functools.cache
def source(name: str) -> str:
    return resources.files(__package__).joinpath("lua", f"{name}.lua").read_text()


@functools.cache
def library() -> str:
    folder = resources.files(__package__).joinpath("lua", "includes")
    parts = sorted((p.name, p.read_text()) for p in folder.iterdir() if p.name.endswith(".lua"))
    return "\n".join(text for _, text in parts)


def compile_script(name: str, config: KueConfig) -> str:
    constants = (
        f"local EVENTS = {'true' if config.events else 'false'}\n"
        f"local STREAM_MAXLEN = {int(config.event_stream_maxlen)}\n"
        f"local WAKE_CAP = {WAKE_CAP}\n"
    )
    return Keys.lua_prelude() + constants + library() + "\n" + source(name)


class Scripts:
    """One registered script per name, for one client and config."""

    def __init__(self, client: redis.Redis, keys: Keys, config: KueConfig) -> None:
        self._keys = [keys.base]
        self._scripts = {name: client.register_script(compile_script(name, config)) for name in NAMES}

    def __call__(self, name: str, *args: Any, client: Any = None) -> Any:
        try:
            return self._scripts[name](keys=self._keys, args=args, client=client)
        except redis.ResponseError as exc:
            raise _mapped(exc) from None

    def queue(self, pipe: Any, name: str, *args: Any) -> None:
        """Add a call to a pipeline (its reply is mapped by :func:`check`)."""
        self._scripts[name](keys=self._keys, args=args, client=pipe)


def _mapped(exc: redis.ResponseError) -> Exception:
    code, _, message = str(exc).partition(" ")
    error = ERRORS.get(code)
    if error is JobNotFound:
        return JobNotFound(message.split('"')[1] if '"' in message else message)
    if error is not None:
        return error(message)
    return exc


def check(reply: Any) -> Any:
    if isinstance(reply, redis.ResponseError):
        raise _mapped(reply)
    return reply
