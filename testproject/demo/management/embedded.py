"""Redis for the demo: the configured one if it answers a PING, else an in-memory one.

The embedded server is fakeredis's TCP server in a thread of the demo process, so the site and
the worker (subprocesses) reach it over loopback like a real Redis. It runs our Lua scripts
with fakeredis's ``lua`` extra; BLPOP wakes idle workers and CLIENT UNBLOCK works, so the demo
behaves like the real thing, only in memory: its jobs vanish when the demo stops.

One fix to fakeredis 2.40's TCP server: it closed a client's connection after any error reply
(NOSCRIPT on a script's first call, a script's BADSTATE ...), so a client racing to send its
next command on that socket failed with "Connection closed by server". Here an error reply is
a reply, and the connection stays open, as on Redis.
"""

from __future__ import annotations

import dataclasses
import threading

import redis

from django_kue.core.config import KueConfig

PING_TIMEOUT = 0.5  # s: a local Redis answers in well under a millisecond


def answers(config: KueConfig) -> bool:
    """Whether the Redis that ``config`` points at answers a PING (short timeouts, no retry)."""
    quick = {**config.connection_options, "socket_connect_timeout": PING_TIMEOUT,
             "socket_timeout": PING_TIMEOUT}
    try:
        client = dataclasses.replace(config, connection_options=quick).connect()
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError):
        return False


def _error_reply(exc: redis.ResponseError) -> Exception:
    """The error as Redis wrote it: redis-py's parser split the code off the known ones only."""
    from fakeredis._helpers import SimpleError

    code = getattr(exc, "status_code", None)
    message = str(exc.args[0]) if exc.args else ""
    return SimpleError(f"{code} {message}" if code else message)


def _handler_class() -> type:
    from fakeredis._clients._tcp_server import TCPFakeRequestHandler

    class Handler(TCPFakeRequestHandler):
        def setup(self) -> None:
            super().setup()
            read = self.current_client.read_response

            def read_response(*args: object, **kwargs: object) -> object:
                try:
                    return read(*args, **kwargs)
                except redis.ResponseError as exc:  # a reply to send, not a broken connection
                    return _error_reply(exc)

            self.current_client.read_response = read_response

    return Handler


class EmbeddedRedis:
    """fakeredis's TcpFakeServer on a free loopback port, served from a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        try:
            import fakeredis
            import lupa  # noqa: F401  (fakeredis runs Lua scripts only with it)
        except ImportError as exc:
            raise RuntimeError(f"the embedded Redis needs fakeredis[lua] ({exc}): "
                               f"pip install -e '.[demo]'") from None
        self.server = fakeredis.TcpFakeServer((host, port), server_type="redis")
        self.server.RequestHandlerClass = _handler_class()
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="embedded-redis",
                                       daemon=True)

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"

    @property
    def url(self) -> str:
        return f"redis://{self.address}/0"

    def start(self) -> EmbeddedRedis:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
