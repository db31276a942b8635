"""The queue itself: Redis keys, Lua scripts, Job, Queue, Worker. No Django here."""

from .config import KueConfig
from .errors import (
    Cancelled,
    CorruptJob,
    InvalidJob,
    InvalidPriority,
    InvalidState,
    JobFailed,
    JobNotFound,
    KueError,
    LeaseLost,
    PayloadTooLarge,
)
from .handlers import HandlerSpec
from .job import Job
from .options import JobOptions
from .periodic import Schedule, Scheduler
from .queue import Queue
from .ratelimit import RateLimit
from .states import PRIORITIES, STATES, Priority, State
from .worker import Worker

__all__ = [
    "Cancelled", "CorruptJob", "RateLimit", "Schedule", "Scheduler",
    "HandlerSpec", "InvalidJob", "InvalidPriority", "InvalidState", "Job", "JobFailed",
    "JobNotFound", "JobOptions", "KueConfig", "KueError", "LeaseLost", "PRIORITIES",
    "PayloadTooLarge", "Priority", "Queue", "STATES", "State", "Worker",
]
