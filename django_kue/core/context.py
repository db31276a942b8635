"""The ``ctx`` handed to two-argument handlers: Kue's ``ctx.pause()`` / ``ctx.resume()``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .worker import Worker


class HandlerContext:
    def __init__(self, worker: Worker, type: str) -> None:
        self._worker = worker
        self.type = type

    @property
    def worker_id(self) -> str:
        return self._worker.id

    def pause(self, timeout: int | None = None) -> None:
        """Stop taking jobs of this type in this worker (every slot, as Kue's pause does).

        With ``timeout`` (ms), other jobs of the type still running when it expires fail with
        reason "shutdown" and retry if attempts remain, as in Kue's type-scoped shutdown.
        """
        self._worker.pause(self.type, timeout)

    def resume(self) -> None:
        """Take jobs of this type again, in every slot (Kue resumed only one: issue #1058)."""
        self._worker.resume(self.type)

    @property
    def shutting_down(self) -> bool:
        return self._worker.stopping
