"""Building Redis clients: one server, a Sentinel service's master, or a Redis Cluster.

Everything that talks to Redis (the queue, the worker, the event follower, the mirror) uses the
queue's client, so this is the one place that knows the three shapes. The worker's doorbell is
the exception: its BLPOP needs a connection of its own, on the very server that holds the
queue's keys, and a way to reach that same server from another thread for ``CLIENT UNBLOCK``
(a client id means nothing on another server): :func:`dedicated` gives both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.connection import Connection, ConnectionPool, SSLConnection
from redis.exceptions import (
    AskError,
    ClusterDownError,
    MasterDownError,
    MovedError,
    ReadOnlyError,
    SlotNotCoveredError,
    TryAgainError,
)
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelConnectionPool

if TYPE_CHECKING:
    from .config import KueConfig

# Replies that mean "this server no longer serves these keys" rather than a bad command: a
# master demoted to a replica unblocks its blocked clients with UNBLOCKED; a cluster slot moved.
# NOREPLICAS: a master with min-replicas-to-write that lost its replicas (to a failover).
TOPOLOGY_ERRORS = ("UNBLOCKED", "MOVED", "ASK", "CLUSTERDOWN", "TRYAGAIN", "MASTERDOWN", "READONLY",
                   "NOREPLICAS")
TOPOLOGY_CLASSES = (MovedError, AskError, TryAgainError, ClusterDownError, MasterDownError,
                    ReadOnlyError)

# what a pinned control client keeps of the blocking connection's options (who, not how long)
PINNED_KWARGS = frozenset({"db", "username", "password", "credential_provider", "client_name",
                           "socket_connect_timeout", "socket_keepalive", "socket_keepalive_options",
                           "encoding", "encoding_errors", "decode_responses", "protocol"})


def connect(config: KueConfig) -> Any:
    """A new client for the config: ``redis.Redis`` (also a Sentinel master's) or ``RedisCluster``."""
    if config.client_factory is not None:
        return config.client_factory()
    options: dict[str, Any] = {"socket_keepalive": True, "health_check_interval": 30}
    options.update(config.connection_options)
    if config.sentinel is not None:
        s = config.sentinel
        sentinel_kwargs = {"username": s.username, "password": s.password,
                           "socket_timeout": s.socket_timeout}
        # Sentinel(**kwargs) are the master's connection options; master_for() reasks the
        # sentinels on every new connection, so a failover is followed by reconnecting
        manager = Sentinel(list(s.sentinels), sentinel_kwargs=sentinel_kwargs, db=config.db,
                           username=config.username, password=config.password, **options)
        return manager.master_for(s.service)
    if config.cluster:
        options.pop("health_check_interval", None)  # not a RedisCluster option
        if config.url:
            return RedisCluster.from_url(config.url, **options)
        return RedisCluster(host=config.host, port=config.port, username=config.username,
                            password=config.password, **options)
    if config.url:
        return redis.Redis.from_url(config.url, **options)
    if config.unix_socket_path:
        return redis.Redis(unix_socket_path=config.unix_socket_path, db=config.db,
                           username=config.username, password=config.password, **options)
    return redis.Redis(host=config.host, port=config.port, db=config.db,
                       username=config.username, password=config.password, **options)


def is_cluster(client: Any) -> bool:
    return isinstance(client, RedisCluster)


def dedicated(client: Any, key: str,
              on_connect: Callable[[Any], None] | None = None) -> tuple[redis.Redis, Any]:
    """``(blocking, control)``: a one-connection client to the server holding ``key`` (its own
    CLIENT ID stays the same between commands), and a client reaching that same server.

    In a cluster that server is the primary of the key's slot; with Sentinel it is the current
    master (the new pool asks the sentinels on each connect). The blocking client never retries
    a command on its own, so a lost connection is raised; but redis-py also reconnects a dropped
    idle connection silently when it is next used, which changes its CLIENT ID: ``on_connect``
    (called with the connection after each connect, before any command) is how the caller
    hears of every new connection."""
    try:
        control = client.get_redis_connection(client.get_node_from_key(key)) if is_cluster(client) else client
    except SlotNotCoveredError as exc:  # a cluster node down, not yet replaced
        raise redis.ConnectionError(f"no cluster node serves {key!r} now: {exc}") from exc
    pool = control.connection_pool
    kwargs = dict(pool.connection_kwargs)
    kwargs["socket_timeout"] = None  # a BLPOP must outlive a socket timeout (redis-py 8: 5 s)
    kwargs["retry"] = Retry(NoBackoff(), 0)
    kwargs.pop("retry_on_error", None)
    kwargs.pop("redis_connect_func", None)  # a cluster's (READONLY for replicas): not ours
    if not isinstance(pool, SentinelConnectionPool):
        if on_connect is not None:
            kwargs["redis_connect_func"] = on_connect
        one = pool.__class__(connection_class=pool.connection_class, max_connections=1, **kwargs)
        return redis.Redis(connection_pool=one), control
    # Sentinel: the queue's client may already talk to a new master while the blocking
    # connection still sits on the old one (a switchover), so CLIENT UNBLOCK goes to the
    # address the blocking connection really has, learnt on each connect.
    kwargs.pop("connection_pool", None)  # the old pool's proxy; the new pool makes its own
    pinned = Pinned(pool.connection_class, kwargs)

    def connected(connection: Any) -> None:
        pinned.follow(connection)
        if on_connect is not None:
            on_connect(connection)
        else:
            connection.on_connect()

    one = SentinelConnectionPool(pool.service_name, pool.sentinel_manager, is_master=pool.is_master,
                                 check_connection=pool.check_connection, redis_connect_func=connected,
                                 connection_class=pool.connection_class, max_connections=1, **kwargs)
    return redis.Redis(connection_pool=one), pinned


class Pinned:
    """A control client for one server: the one a Sentinel-managed connection last connected
    to (a client id means nothing on another server)."""

    def __init__(self, connection_class: type, kwargs: dict[str, Any]) -> None:
        self._class = SSLConnection if issubclass(connection_class, SSLConnection) else Connection
        self._kwargs = {k: v for k, v in kwargs.items() if k in PINNED_KWARGS or k.startswith("ssl_")}
        self._client: redis.Redis | None = None
        self._where: tuple[str, int] | None = None

    def follow(self, connection: Any) -> None:
        where = (connection.host, int(connection.port))
        if where != self._where:
            old, self._where = self._client, where
            self._client = redis.Redis(connection_pool=ConnectionPool(
                connection_class=self._class, host=where[0], port=where[1], socket_timeout=5,
                **self._kwargs))
            if old is not None:
                old.close()

    def client_unblock(self, client_id: int) -> bool:
        return bool(self._client.client_unblock(client_id)) if self._client is not None else False

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def topology_error(exc: BaseException) -> bool:
    """The reply says this server no longer serves the keys (failover, resharding), not that
    the command was wrong: the caller should treat it as "unreachable" and come back."""
    if isinstance(exc, TOPOLOGY_CLASSES):
        return True
    if not isinstance(exc, redis.ResponseError):
        return False
    code = getattr(exc, "status_code", None) or str(exc).split(" ", 1)[0]
    return str(code).lstrip("-").upper() in TOPOLOGY_ERRORS


# Errors after which a loop should wait and try again: the server is gone for now (closed,
# silent: a dead host times out) or no longer serves the keys (failover, resharding).
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError, *TOPOLOGY_CLASSES)


def moved_on(client: Any, exc: redis.ResponseError) -> redis.ConnectionError:
    """What to raise for a topology reply: a ConnectionError (the worker and the follower wait
    and retry those). Idle connections are dropped first, so the next command reconnects and a
    Sentinel client asks the sentinels again: a master demoted or cut off from its replicas
    (``min-replicas-to-write``) is left at once rather than when it has been turned into a
    replica."""
    pool = getattr(client, "connection_pool", None)  # a RedisCluster follows its slots itself
    if pool is not None:
        pool.disconnect(inuse_connections=False)
    return redis.ConnectionError(f"Redis no longer serves the queue here ({exc}); reconnecting")
