"""Cancellation: ``job.cancel()`` / ``queue.cancel(id)`` (``lua/cancel.lua``).

An inactive or delayed job (or one waiting for dependencies) ends at once: state ``failed``,
error ``"cancelled"``, flag ``cancelled``; it does not retry. A running job is asked to stop:
``job.cancelled`` turns true in its handler, its next ``job.log()`` / ``job.progress()``
raises :class:`~.errors.Cancelled` (progress only when it writes, at most every
PROGRESS_INTERVAL), and whenever its worker settles it — the handler returned, raised or
stopped — it ends cancelled, not complete and without a retry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import clock, codec

if TYPE_CHECKING:
    from .queue import Queue


def cancel(queue: Queue, job_id: int) -> str:
    """Cancel a job; returns its state before ("active": asked to stop). JobNotFound for an
    unknown job, InvalidState for a job that is complete or failed already."""
    return codec.text(queue.scripts("cancel", job_id, clock.now_ms()))


def is_cancelled(queue: Queue, job_id: int) -> bool:
    return queue.client.hget(queue.keys.job(job_id), "cancelled") is not None
