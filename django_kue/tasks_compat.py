"""Django's Tasks framework, wherever it lives: ``django.tasks`` (Django 6) or the
``django_tasks`` backport (Django 5.2). The one place that knows; everything else imports here.

``AVAILABLE`` is False when neither is installed: then django-kue simply has no tasks backend.
"""

from __future__ import annotations

try:  # Django 6 ships the framework
    from django.tasks import TaskContext, TaskResult, TaskResultStatus, task_backends
    from django.tasks.backends.base import BaseTaskBackend
    from django.tasks.base import Task, TaskError
    from django.tasks.exceptions import InvalidTask as InvalidTaskError
    from django.tasks.exceptions import TaskResultDoesNotExist
    from django.tasks.signals import task_enqueued, task_finished, task_started

    AVAILABLE = True
except ImportError:
    try:  # the backport: pip install django-kue[tasks]
        from django_tasks import TaskContext, TaskResult, TaskResultStatus, task_backends
        from django_tasks.backends.base import BaseTaskBackend
        from django_tasks.base import Task, TaskError
        from django_tasks.exceptions import InvalidTaskError, TaskResultDoesNotExist
        from django_tasks.signals import task_enqueued, task_finished, task_started

        AVAILABLE = True
    except ImportError:
        AVAILABLE = False

__all__ = [
    "AVAILABLE", "BaseTaskBackend", "InvalidTaskError", "Task", "TaskContext", "TaskError",
    "TaskResult", "TaskResultDoesNotExist", "TaskResultStatus", "task_backends", "task_enqueued",
    "task_finished", "task_started",
]
