"""Turning a claimed job's hash into a Job a handler can run, or failing it on the spot.

A job whose hash was corrupted in Redis (data that is not JSON, a priority that is not a
number, a type changed by hand to one this worker has no handler for) must not kill the
worker's fetch loop, nor be left ``active`` until its lease expires, only to kill the next
worker: it fails its attempt at once with a message that says what is wrong.
"""

from __future__ import annotations

import logging
from typing import Any, Container

from . import clock, codec
from .errors import CorruptJob
from .job import Job
from .queue import Queue

logger = logging.getLogger("django_kue.worker")


def claimed_job(queue: Queue, flat: list[Any], handled: Container[str]) -> Job | None:
    """The job of one ``claim.lua`` reply entry (id, field, value, ...), holding its fencing
    token; None when it could not be read and was failed instead."""
    job_id = int(flat[0])
    pairs = iter(flat[1:])  # the hash, then the fields claiming changed: the last value wins
    try:
        fields = {k.decode(): v.decode() for k, v in zip(pairs, pairs)}
    except AttributeError:  # a decode_responses client
        fields = {codec.text(k): codec.text(v) for k, v in zip(flat[1::2], flat[2::2])}
    try:
        job = Job.from_hash(queue, job_id, fields, decoded=True)
        if job.type not in handled:
            raise CorruptJob(f"job {job_id} has type {job.type!r}, which this worker does not "
                             f"handle (its hash was changed in Redis?)")
    except CorruptJob as exc:
        token = fields.get("token", "")
        logger.error("%s; failing the attempt", exc)
        queue.scripts("fail", clock.now_ms(), job_id, token or "", str(exc), "", -1)
        return None
    job._token = job._raw_token
    return job
