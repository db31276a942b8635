"""How a queue connects and behaves: a plain dataclass, so the core never reads Django settings.

The Django layer builds one from ``settings.KUE`` (``django_kue.conf.to_core_config``).
"""

from __future__ import annotations

import dataclasses
import socket
from typing import Any, Callable, Mapping
from urllib.parse import urlparse

import redis

from .retention import DEFAULT_KEEP

MiB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class SentinelConfig:
    """Where Redis Sentinel is: the service (master) name and the sentinels to ask. ``username``
    and ``password`` are the sentinels' own (KueConfig's are the master's)."""

    service: str
    sentinels: tuple[tuple[str, int], ...]
    username: str | None = None
    password: str | None = None
    socket_timeout: float | None = 0.5  # seconds per question to one sentinel


@dataclasses.dataclass(frozen=True)
class KueConfig:
    # connection: a URL, or host/port/db/password, or a unix socket, or a factory / client
    url: str | None = None
    host: str = "127.0.0.1"
    port: int = 6379
    db: int = 0
    username: str | None = None
    password: str | None = None
    unix_socket_path: str | None = None
    client_factory: Callable[[], redis.Redis] | None = None
    connection_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    sentinel: SentinelConfig | None = None  # the master of a Sentinel service (host/port unused)
    cluster: bool = False  # Redis Cluster: url or host/port is one node to discover the rest from
    # the queue
    prefix: str = "q"
    search: bool = False  # Kue's disableSearch defaults to true
    events: bool = True  # write job events to the Redis stream (signals, mirror, job.wait)
    job_events: bool = True  # per-job listeners, job.on(...) (Kue's jobEvents)
    event_stream_maxlen: int = 100_000  # approximate cap of the event stream
    keep: Mapping[str, Any] | None = dataclasses.field(default_factory=lambda: dict(DEFAULT_KEEP))
    max_payload: int = MiB  # bytes of JSON per job's data
    # the worker
    lease: int = 15_000  # ms a claimed job is held without a heartbeat before recovery
    promote_limit: int = 1000  # delayed jobs promoted per round trip
    claim_batch: int = 50  # jobs claimed per round trip, per type, at most
    progress_interval: int = 100  # ms between two progress writes of one job

    def connect(self) -> redis.Redis:
        """A new client; callers keep it (the Django layer caches one per process). A
        ``RedisCluster`` when ``cluster`` is set (see ``redis_client``)."""
        from .redis_client import connect

        return connect(self)

    def describe(self) -> str:
        """Where this config points, without the password (for log lines)."""
        if self.client_factory is not None:
            return f"client factory {getattr(self.client_factory, '__name__', self.client_factory)}"
        if self.sentinel is not None:
            where = ",".join(f"{host}:{port}" for host, port in self.sentinel.sentinels)
            return f"sentinel {self.sentinel.service!r} via {where} db {self.db}"
        if self.cluster:
            where = self.url or f"redis://{self.host}:{self.port}"
            parsed = urlparse(where)
            return f"cluster via {parsed.hostname}:{parsed.port or 6379}"
        if self.url:
            parsed = urlparse(self.url)
            netloc = parsed.hostname or ""
            if parsed.port:
                netloc += f":{parsed.port}"
            return f"{parsed.scheme}://{netloc}{parsed.path}"
        if self.unix_socket_path:
            return f"unix://{self.unix_socket_path}?db={self.db}"
        return f"redis://{self.host}:{self.port}/{self.db}"


def validate_url(url: str) -> str | None:
    """A problem with a Redis URL, or None: used by the Django system check."""
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss", "unix"):
        return f"REDIS_URL must use redis://, rediss:// or unix:// (got {parsed.scheme or 'none'}://)"
    try:
        _ = parsed.port  # raises on a non-numeric or out-of-range port
    except ValueError as exc:
        return f"REDIS_URL has an invalid port: {exc}"
    return None


def worker_identity() -> str:
    """Kue's worker id shape: ``kue:<host>:<pid>``."""
    import os

    return f"kue:{socket.gethostname()}:{os.getpid()}"
