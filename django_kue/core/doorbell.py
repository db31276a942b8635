"""How an idle worker sleeps: BLPOP on its types' wake lists and the delayed-job timer.

Enqueues ring a type's list (``wake:<type>``, capped), so a job starts within a round trip of
being saved with no polling. The worker can also ring itself from another thread (a slot came
free, ``resume()``, shutdown) with ``CLIENT UNBLOCK`` on its own blocking connection, sent to
the server that connection is on (Sentinel: the master; Cluster: the prefix's slot's primary).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Sequence

import redis

from .redis_client import Pinned, dedicated, topology_error

logger = logging.getLogger("django_kue.worker")


class Doorbell:
    def __init__(self, client: redis.Redis) -> None:
        self._source = client
        # One connection, kept by its pool and so the same CLIENT ID between commands; made on
        # first use, so a worker started before Redis waits in its retry loop instead of dying.
        # Built on the first wait: in a cluster, which server depends on the keys.
        self._client: redis.Redis | None = None
        self._control: redis.Redis | None = None
        self._client_id: int | None = None
        self._lock = threading.Lock()
        self._blocked = False
        self._blocked_at = 0.0
        self.rung = threading.Event()

    def wait(self, keys: Sequence[str], timeout_ms: float) -> bool:
        """Sleep until a key gets a token, someone rings, or the timeout; True if a token came."""
        with self._lock:  # checked under the lock ring() takes, so a ring is never missed
            if self.rung.is_set():
                self.rung.clear()
                return False
            if self._client is None:
                self._client, self._control = dedicated(self._source, keys[0], self._connected)
            client = self._client
            if self._client_id is None:
                try:
                    self._client_id = self._fetch_id()
                except redis.ConnectionError:
                    self._drop()
                    raise
            self._blocked = True
            self._blocked_at = time.monotonic()
        try:
            reply = client.blpop(list(keys), timeout=max(0.001, timeout_ms / 1000.0))
        except redis.ConnectionError:
            with self._lock:
                self._drop()
            raise
        except redis.ResponseError as exc:
            if not topology_error(exc):
                raise
            with self._lock:
                self._drop()
            raise redis.ConnectionError(f"the doorbell's server no longer serves the queue: {exc}") from exc
        finally:
            with self._lock:
                self._blocked = False
        self.rung.clear()
        return reply is not None

    def ring(self) -> None:
        """Wake the sleeping worker now (safe from any thread; cheap when it is not asleep)."""
        self.rung.set()
        with self._lock:
            if not self._blocked or self._client_id is None or self._control is None:
                return
            client_id, since, control = self._client_id, self._blocked_at, self._control
        # A BLPOP sent just now may not have reached Redis yet (UNBLOCK then finds nothing):
        # retry briefly. A server that never unblocks (fakeredis) ends the wait at its timeout.
        while True:
            try:
                if control.client_unblock(client_id):
                    return
            except redis.RedisError:
                return
            if time.monotonic() - since > 0.05:
                return
            time.sleep(0.002)
            with self._lock:
                if not self._blocked or self._client_id is None:
                    return
                client_id = self._client_id  # a reconnect under the BLPOP gave a new id

    def _drop(self) -> None:
        """(Under the lock.) Lost the server: the next wait starts again on whichever server
        serves the keys then (a Sentinel failover, a cluster node replaced or a slot moved)."""
        client, control = self._client, self._control
        self._client = self._control = None
        self._client_id = None
        if client is not None:
            client.close()
        if isinstance(control, Pinned):  # its own; a plain or cluster control is shared
            control.close()

    def _connected(self, connection: Any) -> None:
        """Every (re)connect of the blocking connection, before its first command: redis-py
        reconnects a dropped idle connection silently, and ring() must know the new id."""
        connection.on_connect()
        self._client_id = None
        try:
            connection.send_command("CLIENT", "ID")
            self._client_id = int(connection.read_response())
        except redis.ConnectionError:
            raise
        except redis.RedisError:
            pass  # a server without CLIENT ID: ring() cannot unblock, the wait times out

    def _fetch_id(self) -> int | None:
        try:
            return int(self._client.client_id())  # type: ignore[union-attr]  # wait() set it
        except redis.ConnectionError:
            # unreachable (a failover): blocking now with no id would make ring() powerless
            # if the BLPOP then found a server; the worker's loop waits and comes back
            raise
        except redis.RedisError:
            return None

    def close(self) -> None:
        with self._lock:
            self._drop()
