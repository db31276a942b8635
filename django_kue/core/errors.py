"""The core's exceptions. The API maps each to one HTTP status in ``api/errors.py``."""

from __future__ import annotations


class KueError(Exception):
    """Base of every django-kue error."""


class InvalidJob(KueError, ValueError):
    """A job or its options cannot be saved as given (400)."""


class PayloadTooLarge(InvalidJob):
    """The job's JSON is over the configured size limit (413)."""


class InvalidState(InvalidJob):
    """An unknown state name, or a transition that is refused (400)."""


class InvalidPriority(InvalidJob):
    """An unknown priority name or a value that is not an integer (400)."""


class JobNotFound(KueError, LookupError):
    """No job with that id (404)."""

    def __init__(self, job_id: object) -> None:
        self.job_id = job_id
        super().__init__(f'job "{job_id}" doesnt exist')


class CorruptJob(KueError):
    """A job's hash in Redis cannot be read back (edited by hand, or written by something
    else): the worker fails the attempt with this message instead of dying on it."""


class LeaseLost(KueError):
    """The worker no longer holds the job: its lease expired, or the job was moved or removed.

    Raised from ``job.log()`` / ``job.progress()`` inside a handler so that a job another
    worker has taken over stops at its next call; a late completion is refused quietly.
    """


class Cancelled(LeaseLost):
    """The job was cancelled while running (``job.cancel()``): raised from ``job.log()`` /
    ``job.progress()`` in its handler so it stops; the job ends failed with error "cancelled".

    A subclass of LeaseLost: a handler cleaning up on a lost job cleans up here too."""


class JobFailed(KueError):
    """``job.wait()`` on a job that failed: carries the job's error message."""
