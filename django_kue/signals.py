"""Kue's job events as Django signals. The sender is the job's type name (a str), so
``@receiver(job_complete, sender="email")`` is Kue's per-type listener.

Every job signal carries ``job_id``, ``type`` and ``remote`` (True when the event came from
another process through Redis: see ``django_kue.listener``), plus the event's own arguments:

- ``job_enqueue``: -
- ``job_start``: -
- ``job_promotion``: -
- ``job_progress``: ``progress`` (0-100), ``data``
- ``job_failed_attempt``: ``error``, ``attempts_made``
- ``job_failed``: ``error``
- ``job_complete``: ``result``
- ``job_remove``: -
- ``queue_error``: ``error`` (the exception; sender: the queue's prefix), Kue's queue ``error``
  event: Redis unreachable for a worker or a listener
"""

from django.dispatch import Signal

job_enqueue = Signal()
job_start = Signal()
job_promotion = Signal()
job_progress = Signal()
job_failed_attempt = Signal()
job_failed = Signal()
job_complete = Signal()
job_remove = Signal()
queue_error = Signal()

BY_EVENT = {
    "enqueue": job_enqueue,
    "start": job_start,
    "promotion": job_promotion,
    "progress": job_progress,
    "failed attempt": job_failed_attempt,
    "failed": job_failed,
    "complete": job_complete,
    "remove": job_remove,
}
