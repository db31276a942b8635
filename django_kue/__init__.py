"""django-kue: Kue's Redis-backed priority job queue as a Django app.

The public API is what ``__all__`` lists; everything else may change.
"""

from .connection import get_queue
from .core.errors import (
    InvalidJob,
    InvalidPriority,
    InvalidState,
    JobFailed,
    JobNotFound,
    KueError,
    LeaseLost,
    PayloadTooLarge,
)
from .core.job import Job
from .core.states import Priority, State
from .registry import kue_job

__version__ = "0.1.0"

__all__ = [
    "InvalidJob", "InvalidPriority", "InvalidState", "Job", "JobFailed", "JobNotFound",
    "KueError", "LeaseLost", "PayloadTooLarge", "Priority", "State", "__version__",
    "get_queue", "kue_job",
]

