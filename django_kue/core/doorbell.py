"""How an idle worker sleeps: BLPOP on its types' wake lists and the delayed-job timer.

Enqueues ring a type's list (``wake:<type>``, capped), so a job starts within a round trip of
being saved with no polling. The worker can also ring itself from another thread (a slot came
free, ``resume()``, shutdown) with ``CLIENT UNBLOCK`` on its own blocking connection.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Sequence

import redis

logger = logging.getLogger("django_kue.worker")


class Doorbell:
    def __init__(self, client: redis.Redis) -> None:
        self._control = client
        pool = client.connection_pool
        kwargs = dict(pool.connection_kwargs)
        kwargs.pop("socket_timeout", None)  # a BLPOP must outlive a short socket timeout
        # One connection, kept by the pool and so the same CLIENT ID between commands; made on
        # first use, so a worker started before Redis waits in its retry loop instead of dying.
        self._client = redis.Redis(
            connection_pool=pool.__class__(connection_class=pool.connection_class,
                                           max_connections=1, **kwargs),
        )
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
            if self._client_id is None:
                self._client_id = self._fetch_id()
            self._blocked = True
            self._blocked_at = time.monotonic()
        try:
            reply = self._client.blpop(list(keys), timeout=max(0.001, timeout_ms / 1000.0))
        except redis.ConnectionError:
            self._client_id = None
            raise
        finally:
            with self._lock:
                self._blocked = False
        self.rung.clear()
        return reply is not None

    def ring(self) -> None:
        """Wake the sleeping worker now (safe from any thread; cheap when it is not asleep)."""
        self.rung.set()
        with self._lock:
            if not self._blocked or self._client_id is None:
                return
            client_id, since = self._client_id, self._blocked_at
        # A BLPOP sent just now may not have reached Redis yet (UNBLOCK then finds nothing):
        # retry briefly. A server that never unblocks (fakeredis) ends the wait at its timeout.
        while True:
            try:
                if self._control.client_unblock(client_id):
                    return
            except redis.RedisError:
                return
            if time.monotonic() - since > 0.05:
                return
            time.sleep(0.002)
            with self._lock:
                if not self._blocked or client_id != self._client_id:
                    return

    def _fetch_id(self) -> int | None:
        try:
            return int(self._client.client_id())
        except redis.RedisError:
            return None

    def close(self) -> None:
        self._client.close()
