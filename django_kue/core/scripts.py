"""The Lua scripts: read once, compiled per queue, called by name.

Each ``lua/<name>.lua`` is one state change. Every script is prefixed with the key builders
generated from ``keys.py``, the queue's constants and ``lua/includes/*.lua``, then registered
with redis-py (EVALSHA, reloaded on NOSCRIPT). Error replies are mapped to core exceptions here.
"""

from __future__ import annotations

import contextlib
import functools
import re
from importlib import resources
from typing import Any, Iterable, Iterator, Sequence

import redis

from . import events, retention
from .config import KueConfig
from .errors import Cancelled, InvalidJob, InvalidState, JobNotFound, KueError
from .keys import Keys
from .redis_client import moved_on, topology_error

NAMES: tuple[str, ...] = (
    "save", "update", "claim", "complete", "fail", "recover", "heartbeat", "promote",
    "remove", "set_state", "set_priority", "progress", "log", "mirror_lock", "fields",
    "cancel",
    "worker_beat",
)
NAMES += ("clean",)  # retention: manage.py kueclean (core/retention.py)
WAKE_CAP = 32  # doorbell tokens kept per type; enough to wake every idle worker of a burst

ERRORS: dict[str, type[KueError]] = {
    "NOTFOUND": JobNotFound,
    "BADSTATE": InvalidState,
    "BADJOB": InvalidJob,
    "CANCELLED": Cancelled,
}


@functools.cache
def source(name: str) -> str:
    return resources.files(__package__).joinpath("lua", f"{name}.lua").read_text()


@functools.cache
def includes() -> tuple[tuple[str, str, frozenset[str]], ...]:
    """``lua/includes/*.lua`` in name order: (name, text, the top-level names it defines)."""
    folder = resources.files(__package__).joinpath("lua", "includes")
    parts = sorted((p.name, p.read_text()) for p in folder.iterdir() if p.name.endswith(".lua"))
    return tuple((name, text, frozenset(_DEFINED.findall(text))) for name, text in parts)


_DEFINED = re.compile(r"^local (?:function )?(\w+)", re.MULTILINE)
_WORD = re.compile(r"\w+")


@functools.cache
def library(name: str) -> str:
    """The includes a script uses, directly or through another include, in name order.

    Every call runs the whole library's top level (defining its functions) before the script:
    all of it cost ≈ 15 µs per call, the part a script uses a third of that."""
    parts = includes()
    wanted = set(_WORD.findall(source(name)))
    chosen: set[str] = set()
    grew = True
    while grew:
        grew = False
        for file, text, defined in parts:
            if file not in chosen and (file == "common.lua" or defined & wanted):
                chosen.add(file)
                wanted |= set(_WORD.findall(text))
                grew = True
    return "\n".join(text for file, text, _ in parts if file in chosen)


def compile_script(name: str, config: KueConfig) -> str:
    constants = (
        f"local EVENTS = {'true' if config.events else 'false'}\n"
        f"local STREAM_MAXLEN = {int(config.event_stream_maxlen)}\n"
        f"local WAKE_CAP = {WAKE_CAP}\n"
        + retention.lua_constant(config.keep) +
        # every call starts with two hidden arguments (see Scripts.__call__)
        "local ORIGIN = table.remove(ARGV, 1)\n"
        "local COLLECT = table.remove(ARGV, 1) == '1'\n"
        "local EMITTED = {}\n"
    )
    # The script body runs as a function so that, when COLLECT is on, its reply can carry the
    # events it emitted: the caller's process sends them as local signals without a reread.
    epilogue = (
        "\nend\nlocal reply = main()\n"
        "if not COLLECT or (type(reply) == 'table' and reply.err) then return reply end\n"
        "if reply == nil then reply = false end\n"
        "return {reply, EMITTED}\n"
    )
    return (Keys.lua_prelude() + constants + library(name) + "\nlocal function main()\n"
            + source(name) + epilogue)


class Scripts:
    """One registered script per name, for one client and config."""

    def __init__(self, client: redis.Redis, keys: Keys, config: KueConfig) -> None:
        self._keys = [keys.base]
        self._client = client
        self._prefix = keys.prefix
        self._scripts = {name: client.register_script(compile_script(name, config)) for name in NAMES}

    def __call__(self, name: str, *args: Any, client: Any = None) -> Any:
        """Run a script. The hidden first arguments are this process's event origin (so a
        stream reader can tell its own events from others') and whether to hand the emitted
        events back, which is only asked for while a local listener wants them."""
        collect = events.collecting()
        with self._errors_mapped():
            reply = self._scripts[name](keys=self._keys, args=(events.origin(), "1" if collect else "",
                                                               *args), client=client)
        return self._delivered(reply, collect)

    def many(self, name: str, calls: Iterable[Sequence[Any]]) -> list[Any]:
        """Several calls of one script, in order, each sent before the previous one's reply is
        read: Redis runs call k while this process builds and sends call k + 1 (create_many's
        chunks). Only for calls that cannot fail on their content: after an error, the calls
        already sent still run. (A pooled connection Redis closed is replaced by the pool when
        it is taken, before anything is sent.)"""
        pool = getattr(self._client, "connection_pool", None)
        if pool is None:  # a Cluster client: one call at a time
            return [self(name, *args) for args in calls]
        return self._pipelined(pool, name, calls)

    def _pipelined(self, pool: Any, name: str, calls: Iterable[Sequence[Any]]) -> list[Any]:
        sent: list[Sequence[Any]] = []
        replies: list[Any] = []
        collect = events.collecting()
        head = ("EVALSHA", self._scripts[name].sha, 1, self._keys[0], events.origin(),
                "1" if collect else "")
        unloaded: list[tuple[int, Sequence[Any]]] = []  # NOSCRIPT: not run; run again below
        conn = pool.get_connection()
        try:
            for args in calls:
                sent.append(args)
                conn.send_packed_command(conn.pack_command(*head, *args))
                if len(sent) - len(replies) > 1:  # one call runs while the next is built
                    self._take(conn, collect, sent[len(replies)], replies, unloaded)
            while len(replies) < len(sent):
                self._take(conn, collect, sent[len(replies)], replies, unloaded)
        except BaseException:
            conn.disconnect()  # replies may still be on their way: this connection is done
            raise
        finally:
            pool.release(conn)
        for index, args in unloaded:  # the script was not loaded yet (or flushed): load, rerun
            replies[index] = self(name, *args)
        return replies

    def _take(self, conn: Any, collect: bool, args: Sequence[Any], replies: list[Any],
              unloaded: list[tuple[int, Sequence[Any]]]) -> None:
        try:
            replies.append(self._read(conn, collect))
        except redis.exceptions.NoScriptError:
            unloaded.append((len(replies), args))
            replies.append(None)

    def _read(self, conn: Any, collect: bool) -> Any:
        with self._errors_mapped():
            reply = conn.read_response()
        return self._delivered(reply, collect)

    @contextlib.contextmanager
    def _errors_mapped(self) -> Iterator[None]:
        """A script's error reply as a core exception; NOSCRIPT is left to the caller (redis-py's
        ``Script`` reloads on it, ``many`` reruns the call)."""
        try:
            yield
        except redis.exceptions.NoScriptError:
            raise
        except redis.ResponseError as exc:
            if topology_error(exc):  # a failover or a moved slot: as unreachable (retried)
                raise moved_on(self._client, exc) from exc
            raise _mapped(exc) from None
        except redis.TimeoutError as exc:  # a server gone without closing (a dead host)
            raise redis.ConnectionError(f"Redis did not answer: {exc}") from exc

    def _delivered(self, reply: Any, collect: bool) -> Any:
        if not collect:
            return reply
        reply, emitted = reply
        if emitted:
            events.publish(self._prefix, [events.Event.from_reply(e) for e in emitted])
        return reply

    def queue(self, pipe: Any, name: str, *args: Any) -> None:
        """Add a call to a pipeline (its reply is mapped by :func:`check`; no local events)."""
        self._scripts[name](keys=self._keys, args=(events.origin(), "", *args), client=pipe)


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
