"""``django_kue.backends.KueBackend``: Django's Tasks framework (``@task``) on django-kue.

``TASKS = {"default": {"BACKEND": "django_kue.backends.KueBackend"}}`` makes ``my_task.enqueue()``
save a Kue job of type ``task.<queue_name>`` (data: the task's module path, args, kwargs) that
``runkueworker`` runs like any other job. The result id is the Kue job id, so ``get_result()``
reads the job back: its state is the status, its result the return value, its error the error.

Priorities: Django's are -100..100 with *higher* first; Kue runs *lower* first, so the job's
priority is the task's negated. ``run_after`` is Kue's delay.
"""

from __future__ import annotations

import dataclasses
import sys
import traceback
from datetime import UTC, datetime
from typing import Any, Iterable

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from . import tasks_compat as tasks
from .connection import get_queue
from .core import clock
from .core.errors import JobNotFound
from .core.job import Job

if not tasks.AVAILABLE:
    raise ImproperlyConfigured("KueBackend needs Django's Tasks framework: Django 6, or "
                               "pip install 'django-kue[tasks]' (the django-tasks backport)")

TYPE_PREFIX = "task."  # job type of a task = TYPE_PREFIX + queue_name


def job_type(queue_name: str) -> str:
    return TYPE_PREFIX + queue_name


class KueBackend(tasks.BaseTaskBackend):
    """Tasks as Kue jobs. ``OPTIONS``: ``CONCURRENCY`` (tasks of one queue a worker runs at
    once, default 1) and ``ATTEMPTS`` (Kue attempts per task, default 1: Django runs a task once)."""

    supports_defer = True
    supports_async_task = True
    supports_get_result = True
    supports_priority = True

    def enqueue(self, task: tasks.Task, args: Any, kwargs: Any) -> tasks.TaskResult:
        self.validate_task(task)
        data = {"title": task.module_path, "task": task.module_path, "backend": self.alias,
                "queue_name": task.queue_name, "args": list(args), "kwargs": dict(kwargs)}
        delay = 0
        if task.run_after is not None:
            delay = max(0, int(task.run_after.timestamp() * 1000) - clock.now_ms())
        job = get_queue().create(job_type(task.queue_name), data, priority=-task.priority,
                                 delay=delay, attempts=option(self.options, "ATTEMPTS") or 1)
        result = task_result(job.save(), task)  # bad args fail before the save: JSON only
        tasks.task_enqueued.send(type(self), task_result=result)
        return result

    def check(self, **kwargs: Any) -> Iterable[checks.CheckMessage]:
        """OPTIONS must be known keys with whole numbers in range (django_kue.E010)."""
        for key in sorted(set(self.options) - set(OPTION_LIMITS)):
            yield checks.Error(f"TASKS[{self.alias!r}]['OPTIONS'] has an unknown key {key!r}",
                               hint=f"KueBackend knows {', '.join(OPTION_LIMITS)}.",
                               id="django_kue.E010")
        for key, top in OPTION_LIMITS.items():
            if key in self.options and option(self.options, key) is None:
                yield checks.Error(f"TASKS[{self.alias!r}]['OPTIONS'][{key!r}] must be a whole "
                                   f"number from 1 to {top}, not {self.options[key]!r}",
                                   id="django_kue.E010")

    def get_result(self, result_id: str) -> tasks.TaskResult:
        try:
            job = get_queue().get_job(result_id)
        except (JobNotFound, ValueError, TypeError):
            raise tasks.TaskResultDoesNotExist(result_id) from None
        if not job.type.startswith(TYPE_PREFIX) or not isinstance(job.data.get("task"), str):
            raise tasks.TaskResultDoesNotExist(result_id)
        return task_result(job, load_task(job.data))


OPTION_LIMITS = {"CONCURRENCY": 10_000, "ATTEMPTS": 1_000_000}


def option(options: dict[str, Any], key: str, default: int = 1) -> int | None:
    """OPTIONS[key] when it is a whole number in range, the default when absent, else None."""
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= OPTION_LIMITS[key]:
        return None
    return value


def load_task(data: dict[str, Any]) -> tasks.Task:
    """The ``@task`` a job names, with the options it was enqueued with.

    The path comes from Redis, so it is trusted only as far as it must be: its module must
    belong to an installed app (or be imported already), and the object must be a real Task;
    anything else is refused, so a forged job cannot call an arbitrary function."""
    path = data.get("task")
    module = path.rpartition(".")[0] if isinstance(path, str) else ""
    packages = tuple(config.name + "." for config in apps.get_app_configs())
    if not module or not (module in sys.modules or module.startswith(packages)):
        raise tasks.InvalidTaskError(f"{path!r} is not in an installed app")
    try:
        found = import_string(path)
    except ImportError as exc:
        raise tasks.InvalidTaskError(f"{path!r} cannot be imported: {exc}") from None
    if not isinstance(found, tasks.Task):
        raise tasks.InvalidTaskError(f"{path!r} is not a @task")
    backend = data.get("backend") or found.backend
    return dataclasses.replace(found, backend=backend,
                               queue_name=data.get("queue_name") or found.queue_name)


def task_result(job: Job, task: tasks.Task) -> tasks.TaskResult:
    """The framework's view of a Kue job."""
    status = STATUS.get(job.state or "", tasks.TaskResultStatus.READY)
    finished = status in (tasks.TaskResultStatus.SUCCESSFUL, tasks.TaskResultStatus.FAILED)
    runs = job.attempts_made + (1 if job.state == "active" else 0)
    result = tasks.TaskResult(
        task=dataclasses.replace(task, priority=-job.priority), id=str(job.id), status=status,
        enqueued_at=_when(job.created_at), started_at=_when(job.started_at),
        finished_at=_when(job.updated_at) if finished else None,
        last_attempted_at=_when(job.started_at), args=job.data.get("args", []),
        kwargs=job.data.get("kwargs", {}), backend=task.backend,
        errors=[task_error(job.error, job.stack)] if job.error else [],
        worker_ids=[job.worker_id or ""] * runs,
    )
    if status == tasks.TaskResultStatus.SUCCESSFUL:
        object.__setattr__(result, "_return_value", job.result)
    return result


STATUS = {
    "inactive": tasks.TaskResultStatus.READY,
    "delayed": tasks.TaskResultStatus.READY,
    "active": tasks.TaskResultStatus.RUNNING,
    "complete": tasks.TaskResultStatus.SUCCESSFUL,
    "failed": tasks.TaskResultStatus.FAILED,
}


def task_error(message: str, stack: str | None) -> tasks.TaskError:
    """Kue keeps the error's message and traceback text; the framework also wants the
    exception's class path, which the traceback's last block names (``pkg.mod.Error: msg``;
    builtins unqualified). Without a traceback (ttl, stalled, shutdown) it is a KueError."""
    if not stack:
        return tasks.TaskError(exception_class_path="django_kue.core.errors.KueError",
                               traceback=message)
    return tasks.TaskError(exception_class_path=exception_path(stack), traceback=stack)


def exception_path(stack: str) -> str:
    lines = stack.rstrip("\n").split("\n")
    frames = [i for i, line in enumerate(lines) if line.startswith("  File ")]
    start = frames[-1] + 1 if frames else 0
    for line in lines[start:]:
        if line and not line.startswith(" "):
            name = line.split(":", 1)[0].strip()
            return name if "." in name else f"builtins.{name}"
    return "builtins.Exception"


def _when(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


def configured_backends() -> list[tuple[str, dict[str, Any]]]:
    """(alias, params) of every TASKS backend that is a KueBackend."""
    found = []
    for alias, params in (getattr(settings, "TASKS", None) or {}).items():
        try:
            cls = import_string(params.get("BACKEND", ""))
        except ImportError:
            continue
        if isinstance(cls, type) and issubclass(cls, KueBackend):
            found.append((alias, params))
    return found


def run_task(job: Job) -> Any:
    """The worker's handler for ``task.*`` jobs: call the task, return its JSON result.

    The framework's signals fire here, in the worker (started, then finished either way)."""
    task = load_task(job.data)
    running = task_result(job, task)
    sender = type(task.get_backend())
    tasks.task_started.send(sender, task_result=running)
    args, kwargs = job.data.get("args", []), job.data.get("kwargs", {})
    try:
        if task.takes_context:
            value = task.call(tasks.TaskContext(task_result=running), *args, **kwargs)
        else:
            value = task.call(*args, **kwargs)
    except Exception as exc:
        error = task_error(str(exc), traceback.format_exc())
        _finished(sender, running, tasks.TaskResultStatus.FAILED, errors=[error])
        raise
    _finished(sender, running, tasks.TaskResultStatus.SUCCESSFUL, _return_value=value)
    return value


def _finished(sender: type, running: tasks.TaskResult, status: Any, **fields: Any) -> None:
    fields.update(status=status, finished_at=datetime.now(UTC))
    for name, value in fields.items():
        object.__setattr__(running, name, value)
    tasks.task_finished.send(sender, task_result=running)


def register_task_types() -> None:
    """Register ``task.<queue>`` for every queue of every KueBackend in TASKS, so that every
    process (the worker above all) knows how to run them. Called from AppConfig.ready()."""
    from .registry import kue_job

    for _alias, params in configured_backends():
        concurrency = option(params.get("OPTIONS") or {}, "CONCURRENCY") or 1  # bad: E010
        for name in params.get("QUEUES") or ["default"]:
            kue_job(job_type(name), concurrency=concurrency)(run_task)
